#include "connector_svc/frame_budget.h"

#include <google/protobuf/io/coded_stream.h>

#include "absl/strings/str_cat.h"
#include "common/call_status.h"
#include "common/log.h"

namespace dirbridge::connector {
namespace {

using ::google::protobuf::io::CodedOutputStream;

// What a length-delimited field of `n` bytes adds to its message: a
// one-byte tag (field numbers below 16), the length, the bytes.
size_t FieldBytes(size_t n) { return 1 + CodedOutputStream::VarintSize64(n) + n; }

std::string LimitText(size_t budget) {
  return absl::StrCat(budget, " bytes: min(max_frame_bytes/2, ", kMaxAnswerBytes, ")");
}

absl::Status UserTooLarge(const v1::User& user, size_t n, size_t budget) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "connector: the entry \"", user.dn(), "\" is ", n, " bytes as a User (",
      user.groups_size(), " groups), more than one answer may carry (", LimitText(budget),
      ")"));
}

}  // namespace

absl::Status CheckUserFits(const v1::User& user, size_t budget) {
  size_t n = user.ByteSizeLong();
  if (FieldBytes(n) + kFrameEnvelopeBytes <= budget) return absl::OkStatus();
  return UserTooLarge(user, n, budget);
}

absl::Status UserChunker::Send(v1::ResultChunk chunk) {
  // Wait for the cloud to have room: memory stays bounded on both sides.
  if (!call_.TryTakeCredit()) {
    spdlog::debug("event=credit_wait call_id={} chunks_sent={}", call_.id(), chunks_);
    if (!call_.TakeCredit()) {
      if (call_.cancelled()) return absl::CancelledError("the cloud cancelled the search");
      return absl::DeadlineExceededError(
          "deadline passed while the caller was still reading earlier chunks");
    }
  }
  ++chunks_;
  chunk.set_call_id(call_.id());
  emit_(std::move(chunk));
  return absl::OkStatus();
}

absl::Status UserChunker::Add(std::vector<v1::User>&& users,
                              const Directory::PageMarks& marks) {
  const size_t budget = call_.answer_budget();
  // The marks ride on every chunk: the watermark is the stream's high mark
  // so far, and it only counts once the stream completes.
  const size_t fixed = FieldBytes(marks.watermark.size()) + FieldBytes(marks.server.size());
  auto fresh = [&marks] {
    v1::ResultChunk chunk;
    chunk.mutable_search_users()->set_watermark(marks.watermark);
    chunk.mutable_search_users()->set_server(marks.server);
    return chunk;
  };
  v1::ResultChunk chunk = fresh();
  size_t size = fixed;
  for (v1::User& u : users) {
    size_t entry = FieldBytes(u.ByteSizeLong());
    if (fixed + entry > budget) return UserTooLarge(u, u.ByteSizeLong(), budget);
    if (size + entry > budget) {
      if (absl::Status st = Send(std::move(chunk)); !st.ok()) return st;
      chunk = fresh();
      size = fixed;
    }
    *chunk.mutable_search_users()->add_users() = std::move(u);
    size += entry;
  }
  if (chunk.search_users().users_size() == 0) return absl::OkStatus();
  return Send(std::move(chunk));
}

void FitAnswer(const Call& call, v1::CallResult* result) {
  size_t n = result->ByteSizeLong();
  size_t budget = call.answer_budget();
  if (n <= budget) return;
  uint64_t id = result->call_id();
  result->Clear();
  result->set_call_id(id);
  SetCallStatus(absl::ResourceExhaustedError(absl::StrCat(
                    "connector: the answer is ", n, " bytes, more than one frame may carry (",
                    LimitText(budget), ")")),
                result);
  // Under a frame limit too small for the reason itself (a Settings of a
  // few bytes), the code alone: a frame over the limit would end the tunnel.
  if (result->ByteSizeLong() > budget) result->clear_message();
}

}  // namespace dirbridge::connector
