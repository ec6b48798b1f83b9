#include "cloud_svc/routing/peer/forwarded_call.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace dirbridge::cloud {
namespace {

// What a forwarded call came to, from how its RPC ended; the same for the
// stream and the unary form. `answer` is the holder's result, if one came;
// `taken` says the holder took the call (it says so before it routes
// anything); `refused` that it said the call never reached a connector.
absl::StatusOr<v1::CallResult> Outcome(const grpc::Status& status,
                                       std::optional<v1::CallResult> answer,
                                       const std::optional<absl::Status>& cancelled, bool taken,
                                       bool refused) {
  if (answer && status.ok()) return std::move(*answer);
  if (cancelled) return *cancelled;
  if (status.ok()) {
    return absl::InternalError("the holding replica ended the call without an answer");
  }
  if (!taken || (refused && status.error_code() == grpc::StatusCode::UNAVAILABLE)) {
    // Not taken: unreachable, or stopping, so gRPC cancelled it; refused:
    // the holder said so. Either way no connector saw it.
    return NotSentError(absl::StrCat("the replica holding the connector did not take the call: ",
                                     status.error_message()));
  }
  return FromGrpcStatus(status);
}

}  // namespace

void ForwardedCall::Start(v1::ReplicaPeer::Stub* stub, std::shared_ptr<ForwardedCall> self,
                          v1::ForwardCall call, absl::Time deadline) {
  // The holder enforces the call's own deadline (timeout_ms) and answers
  // DEADLINE_EXCEEDED; this one only stops a holder that went silent.
  context_.set_deadline(absl::ToChronoTime(deadline + absl::Seconds(2)));
  stub->async()->Forward(&context_, this);
  {
    absl::MutexLock lock(&mu_);
    self_ = std::move(self);
    holding_ = true;
    v1::PeerFrame frame;
    *frame.mutable_call() = std::move(call);
    Write(std::move(frame));
  }
  AddHold();
  StartRead(&in_);
  StartCall();
}

void ForwardedCall::Cancel(const absl::Status& why) {
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_ || result_) return;
    cancelled_ = why;
  }
  context_.TryCancel();
}

void ForwardedCall::Credit(uint32_t n) {
  absl::MutexLock lock(&mu_);
  if (!holding_) return;
  v1::PeerFrame frame;
  frame.mutable_credit()->set_n(n);
  Write(std::move(frame));
}

void ForwardedCall::Write(v1::PeerFrame frame) {
  outbox_.push_back(std::move(frame));
  if (write_in_flight_) return;
  write_in_flight_ = true;
  StartWrite(&outbox_.front());
}

void ForwardedCall::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  outbox_.pop_front();
  if (!ok) outbox_.clear();  // the call is over; OnReadDone(false) follows
  if (outbox_.empty()) {
    write_in_flight_ = false;
    return;
  }
  StartWrite(&outbox_.front());
}

void ForwardedCall::OnReadInitialMetadataDone(bool ok) {
  absl::MutexLock lock(&mu_);
  reached_ = ok;
}

void ForwardedCall::OnReadDone(bool ok) {
  if (!ok) {
    bool release;
    {
      absl::MutexLock lock(&mu_);
      release = holding_;
      holding_ = false;
    }
    if (release) RemoveHold();
    return;
  }
  switch (in_.frame_case()) {
    case v1::PeerReply::kChunk:
      if (handlers_.on_chunk) handlers_.on_chunk(std::move(*in_.mutable_chunk()));
      break;
    case v1::PeerReply::kResult: {
      absl::MutexLock lock(&mu_);
      result_ = std::move(*in_.mutable_result());
      break;
    }
    case v1::PeerReply::FRAME_NOT_SET:
      break;
  }
  in_.Clear();
  StartRead(&in_);
}

void ForwardedCall::OnDone(const grpc::Status& status) {
  absl::StatusOr<v1::CallResult> outcome;
  std::shared_ptr<ForwardedCall> self;
  {
    absl::MutexLock lock(&mu_);
    self = std::move(self_);
    bool refused = context_.GetServerTrailingMetadata().count(kNotSentTrailer) > 0;
    // reached_: the holder's headers came, which it sends before it routes.
    outcome = Outcome(status, std::move(result_), cancelled_, reached_, refused);
  }
  handlers_.on_done(std::move(outcome));
  on_end_();
}

}  // namespace dirbridge::cloud
