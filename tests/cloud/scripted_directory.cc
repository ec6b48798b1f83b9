#include "tests/cloud/scripted_directory.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/call_status.h"

namespace dirbridge::testing {

void ScriptedDirectory::SetUsers(std::vector<v1::User> users) {
  absl::MutexLock lock(&mu_);
  users_ = std::move(users);
}

void ScriptedDirectory::SetMarks(const std::string& server, const std::string& watermark) {
  absl::MutexLock lock(&mu_);
  server_ = server;
  watermark_ = watermark;
}

void ScriptedDirectory::SetChunkSize(size_t n) {
  absl::MutexLock lock(&mu_);
  chunk_size_ = n;
}

void ScriptedDirectory::FailAfter(int chunks, absl::Status failure) {
  absl::MutexLock lock(&mu_);
  fail_after_ = chunks;
  failure_ = std::move(failure);
}

std::vector<v1::SearchUsersRequest> ScriptedDirectory::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

ScriptedConnector::OnCall ScriptedDirectory::Handler() {
  return [this](const v1::CallRequest& call, ScriptedConnector& connector) {
    if (call.request_case() != v1::CallRequest::kSearchUsers) return false;
    Serve(call, connector);
    return true;
  };
}

void ScriptedDirectory::Serve(const v1::CallRequest& call, ScriptedConnector& connector) {
  connector.SetOnCredit([this](const v1::Credit& credit, ScriptedConnector& c) {
    absl::MutexLock lock(&mu_);
    auto it = streams_.find(credit.call_id());
    if (it == streams_.end()) return;
    it->second.credits += credit.n();
    Pump(credit.call_id(), c);
  });
  std::vector<v1::CloudFrame> settings = connector.Received(v1::CloudFrame::kSettings);
  absl::MutexLock lock(&mu_);
  requests_.push_back(call.search_users());
  Stream& stream = streams_[call.call_id()];
  stream.credits = settings.empty() ? 0 : settings[0].settings().initial_stream_credits();
  for (size_t i = 0; i < users_.size(); i += chunk_size_) {
    if (fail_after_ >= 0 && stream.chunks.size() == static_cast<size_t>(fail_after_)) break;
    v1::SearchUsersResponse& chunk = stream.chunks.emplace_back();
    for (size_t j = i; j < std::min(users_.size(), i + chunk_size_); ++j) {
      *chunk.add_users() = users_[j];
    }
    chunk.set_watermark(watermark_);
    chunk.set_server(server_);
  }
  if (fail_after_ >= 0) stream.end = failure_;
  Pump(call.call_id(), connector);
}

// Sent under mu_: chunks of one stream leave in order, whichever thread
// (the reader's, on a credit, or the test's) sends them.
void ScriptedDirectory::Pump(uint64_t call_id, ScriptedConnector& connector) {
  Stream& stream = streams_[call_id];
  while (!stream.chunks.empty() && stream.credits > 0) {
    connector.SendChunk(call_id, std::move(stream.chunks.front()));
    stream.chunks.pop_front();
    --stream.credits;
  }
  if (!stream.chunks.empty()) return;
  absl::Status end = stream.end;
  streams_.erase(call_id);
  connector.Answer(call_id, [&](v1::CallResult& r) {
    if (!end.ok()) SetCallStatus(end, &r);
  });
}

v1::User DirectoryUser(const std::string& id, const std::string& email) {
  v1::User u;
  u.set_id(id);
  u.set_dn(absl::StrCat("uid=", id, ",ou=people,dc=example,dc=com"));
  u.set_username(id);
  u.set_email(email.empty() ? absl::StrCat(id, "@example.com") : email);
  u.set_display_name(absl::StrCat("User ", id));
  return u;
}

}  // namespace dirbridge::testing
