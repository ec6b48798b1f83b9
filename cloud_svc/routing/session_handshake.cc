// Session's opening: the Hello, the host's check of the credential, then
// Settings. (The rest of Session is in session.cc.)

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cloud_svc/routing/session.h"
#include "common/version.h"

namespace dirbridge::cloud {

void Session::HandleHello(const v1::Hello& hello) {
  unsigned theirs = hello.protocol_revision();
  unsigned revision = std::min<unsigned>(theirs, kProtocolRevision);
  if (revision < kMinProtocolRevision || revision < hello.min_protocol_revision()) {
    Close(absl::FailedPreconditionError(absl::StrCat(
        "tunnel: no common protocol revision (connector speaks ",
        hello.min_protocol_revision(), "..", theirs, ", cloud ",
        kMinProtocolRevision, "..", kProtocolRevision,
        "); upgrade the connector")));
    return;
  }
  std::shared_ptr<Session> self;
  {
    absl::MutexLock lock(&mu_);
    if (closing_) return;
    hello_ = hello;
    revision_ = revision;
    ldap_ok_ = hello.ldap_ok();
    self = self_;
  }
  // The credential may have been revoked since the stream opened (a
  // connector deleted or registered again while this stream sat silent):
  // the host checks it again, off this thread, and then Accepts.
  if (self) host_->OnHello(std::move(self));
}

void Session::Accept() {
  std::shared_ptr<Session> self;
  {
    absl::MutexLock lock(&mu_);
    if (closing_ || accepted_) return;
    accepted_ = true;
    self = self_;
  }
  if (!self) return;
  // The host files the session first (it takes no calls until ready_): a
  // connector that has its Settings is one a call can be routed to.
  host_->OnSessionReady(self);
  absl::MutexLock lock(&mu_);
  if (closing_) return;
  v1::CloudFrame frame;
  v1::Settings* s = frame.mutable_settings();
  s->set_protocol_revision(revision_);
  s->mutable_heartbeat_interval()->set_seconds(absl::ToInt64Seconds(limits_.heartbeat_interval));
  s->mutable_heartbeat_interval()->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(limits_.heartbeat_interval) % 1000000000));
  s->set_max_frame_bytes(limits_.max_frame_bytes);
  s->set_max_concurrent_calls(limits_.max_concurrent_calls);
  s->set_initial_stream_credits(limits_.initial_stream_credits);
  s->set_connector_id(identity_.connector_id);
  Send(std::move(frame));
  ready_ = true;
}

}  // namespace dirbridge::cloud
