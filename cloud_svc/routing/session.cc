#include "cloud_svc/routing/session.h"

#include "cloud_svc/routing/frame_limits.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/log_escape.h"
#include "common/version.h"

namespace dirbridge::cloud {
namespace {

// Frames smaller than this may wait for the next one to share a flush;
// larger ones (a page of users) are worth a flush of their own.
constexpr size_t kCoalesceBelow = 16 * 1024;

}  // namespace

std::shared_ptr<Session> Session::Start(grpc::CallbackServerContext* context,
                                        SessionHost* host, const SessionLimits& limits) {
  std::shared_ptr<Session> s(new Session(context, host, limits));
  {
    absl::MutexLock lock(&s->mu_);
    s->self_ = s;
    s->last_frame_ = absl::Now();
  }
  return s;
}

bool Session::Begin(ConnectorIdentity identity, std::string presented) {
  absl::MutexLock lock(&mu_);
  // The connector left while we looked it up. (identity_ stays empty: a
  // Close that ran already may be reading it.)
  if (closing_ || finished_) return false;
  identity_ = std::move(identity);
  presented_ = std::move(presented);
  last_frame_ = absl::Now();
  StartRead(&in_);
  return true;
}

void Session::Refuse(const absl::Status& why) {
  absl::MutexLock lock(&mu_);
  if (closing_) return;
  closing_ = true;
  close_status_ = why;
  MaybeFinishLocked();
}

Session::Session(grpc::CallbackServerContext* context, SessionHost* host,
                 const SessionLimits& limits)
    : context_(context), host_(host), limits_(limits) {}

absl::StatusOr<uint64_t> Session::StartCall(v1::CallRequest request,
                                            CallHandlers handlers) {
  absl::MutexLock lock(&mu_);
  if (!ready_ || closing_ || draining_ || retiring_) {
    return absl::UnavailableError(absl::StrCat(
        "connector ", identity_.connector_id, " is not taking calls"));
  }
  if (calls_.size() >= limits_.max_concurrent_calls) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "connector ", identity_.connector_id, " already carries ",
        calls_.size(), " calls (the limit)"));
  }
  if (outbox_.size() >= limits_.max_outbox_frames) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "connector ", identity_.connector_id, " is not reading its tunnel (",
        outbox_.size(), " frames wait to be written)"));
  }
  uint64_t id = next_call_id_++;
  request.set_call_id(id);
  uint32_t credits = handlers.on_chunk ? limits_.initial_stream_credits : 0;
  calls_.emplace(id, PendingCall{std::move(handlers), credits});
  v1::CloudFrame frame;
  *frame.mutable_call() = std::move(request);
  Send(std::move(frame));
  return id;
}

void Session::CancelCall(uint64_t call_id, const absl::Status& why) {
  CallHandlers handlers;
  {
    absl::MutexLock lock(&mu_);
    auto it = calls_.find(call_id);
    if (it == calls_.end()) return;
    handlers = std::move(it->second.handlers);
    calls_.erase(it);
    v1::CloudFrame frame;
    frame.mutable_cancel()->set_call_id(call_id);
    Send(std::move(frame));
  }
  handlers.on_done(why);
  MaybeRetired();
}

void Session::GrantCredit(uint64_t call_id, uint32_t n) {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  // Counted when sent, before the connector can spend it.
  it->second.credits += n;
  v1::CloudFrame frame;
  frame.mutable_credit()->set_call_id(call_id);
  frame.mutable_credit()->set_n(n);
  Send(std::move(frame));
}

void Session::Heartbeat(absl::Time now) {
  absl::Status dead;
  {
    absl::MutexLock lock(&mu_);
    if (closing_) return;
    absl::Duration silent = now - last_frame_;
    if (outbox_.size() > limits_.max_outbox_frames) {
      dead = absl::UnavailableError(absl::StrCat(
          "the connector does not read its tunnel (", outbox_.size(), " frames queued)"));
    } else if (silent > limits_.heartbeat_interval * limits_.missed_heartbeats) {
      dead = absl::UnavailableError(absl::StrCat(
          "no answer to ", limits_.missed_heartbeats, " heartbeats (silent for ",
          absl::FormatDuration(silent), ")"));
    } else if (ready_) {
      v1::CloudFrame frame;
      frame.mutable_ping()->set_seq(++ping_seq_);
      Send(std::move(frame));
      return;
    } else {
      return;
    }
  }
  Close(dead);
}

int Session::InFlight() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(calls_.size());
}

bool Session::Draining() const {
  absl::MutexLock lock(&mu_);
  return draining_;
}

bool Session::TakingCalls() const {
  absl::MutexLock lock(&mu_);
  return ready_ && !closing_ && !draining_ && !retiring_;
}

bool Session::WasReady() const {
  absl::MutexLock lock(&mu_);
  return ready_;
}

bool Session::ldap_ok() const {
  absl::MutexLock lock(&mu_);
  return ldap_ok_;
}

absl::Time Session::last_frame() const {
  absl::MutexLock lock(&mu_);
  return last_frame_;
}

void Session::OnReadDone(bool ok) {
  if (!ok) {
    Close(absl::UnavailableError("the connector closed the stream"));
    return;
  }
  v1::ConnectorFrame frame = std::move(in_);
  in_.Clear();
  {
    absl::MutexLock lock(&mu_);
    last_frame_ = absl::Now();
  }
  if (absl::Status over = CheckFrameLimits(frame, limits_); !over.ok()) {
    Close(over);
    return;
  }
  HandleFrame(frame);
  absl::MutexLock lock(&mu_);
  if (!finished_) StartRead(&in_);
}

void Session::HandleFrame(v1::ConnectorFrame& frame) {
  bool ready;
  {
    absl::MutexLock lock(&mu_);
    ready = ready_;
  }
  if (!ready) {
    bool hello_seen;
    {
      absl::MutexLock lock(&mu_);
      hello_seen = hello_seen_;
      hello_seen_ = true;
    }
    if (hello_seen) {
      // Between Hello and Settings (the credential is being checked again):
      // nothing the connector could answer yet, only news of itself.
      switch (frame.frame_case()) {
        case v1::ConnectorFrame::kStatus: {
          absl::MutexLock lock(&mu_);
          ldap_ok_ = frame.status().ldap_ok();
          return;
        }
        case v1::ConnectorFrame::kGoaway:
          Close(absl::UnavailableError("the connector left before its Settings"));
          return;
        case v1::ConnectorFrame::kHello:
          Close(absl::InvalidArgumentError("tunnel: Hello sent twice"));
          return;
        default:
          Close(absl::InvalidArgumentError(
              "tunnel: an answer before Settings, to no call (protocol violation)"));
          return;
      }
    }
    if (frame.frame_case() != v1::ConnectorFrame::kHello) {
      Close(absl::InvalidArgumentError("tunnel: the first frame must be Hello"));
      return;
    }
    HandleHello(frame.hello());
    return;
  }
  switch (frame.frame_case()) {
    case v1::ConnectorFrame::kResult: {
      CallHandlers handlers;
      {
        absl::MutexLock lock(&mu_);
        auto it = calls_.find(frame.result().call_id());
        // An answer to a call the cloud already gave up on: nothing waits.
        if (it == calls_.end()) return;
        handlers = std::move(it->second.handlers);
        calls_.erase(it);
      }
      handlers.on_done(std::move(*frame.mutable_result()));
      MaybeRetired();
      return;
    }
    case v1::ConnectorFrame::kChunk: {
      std::function<void(v1::ResultChunk&&)> on_chunk;
      uint64_t call_id = frame.chunk().call_id();
      {
        absl::MutexLock lock(&mu_);
        auto it = calls_.find(call_id);
        // A chunk of a call the cloud gave up on: its credit died with it.
        if (it == calls_.end()) return;
        on_chunk = it->second.handlers.on_chunk;
        if (on_chunk) {
          if (it->second.credits == 0) {
            on_chunk = nullptr;
          } else {
            --it->second.credits;
          }
        }
      }
      if (!on_chunk) {
        Close(absl::InvalidArgumentError(absl::StrCat(
            "tunnel: a chunk for call ", call_id,
            " beyond its credit, or for a call that does not stream (protocol violation)")));
        return;
      }
      on_chunk(std::move(*frame.mutable_chunk()));
      return;
    }
    case v1::ConnectorFrame::kPong:
      return;
    case v1::ConnectorFrame::kStatus: {
      absl::MutexLock lock(&mu_);
      ldap_ok_ = frame.status().ldap_ok();
      return;
    }
    case v1::ConnectorFrame::kGoaway: {
      spdlog::info("event=connector_draining connector={} reason=\"{}\"",
                   identity_.connector_id, LogSafe(frame.goaway().reason()));
      // Calls in flight still get their answers; the connector ends the
      // stream when it has sent them.
      absl::MutexLock lock(&mu_);
      draining_ = true;
      return;
    }
    case v1::ConnectorFrame::kHello:
      Close(absl::InvalidArgumentError("tunnel: Hello sent twice"));
      return;
    case v1::ConnectorFrame::FRAME_NOT_SET:
      Close(absl::InvalidArgumentError("tunnel: empty frame"));
      return;
  }
}

void Session::Send(v1::CloudFrame frame) {
  if (finished_) return;
  outbox_.push_back(std::move(frame));
  if (!write_in_flight_) {
    write_in_flight_ = true;
    StartWrite(&outbox_.front());
  }
}

// With more frames queued behind it, a write need not be flushed on its
// own: gRPC may coalesce it with the next ones (one syscall, one TCP
// segment for many small frames under load).
grpc::WriteOptions Session::NextWriteOptions() const {
  grpc::WriteOptions options;
  if (outbox_.size() > 1 && outbox_.front().ByteSizeLong() < kCoalesceBelow) {
    options.set_buffer_hint();
  }
  return options;
}

void Session::OnWriteDone(bool ok) {
  bool failed = false;
  {
    absl::MutexLock lock(&mu_);
    outbox_.pop_front();
    if (!ok) {
      outbox_.clear();
      failed = !closing_;
    }
    if (!outbox_.empty()) {
      StartWrite(&outbox_.front(), NextWriteOptions());
    } else {
      write_in_flight_ = false;
      MaybeFinishLocked();
    }
  }
  if (failed) Close(absl::UnavailableError("write to the connector failed"));
}

void Session::OnCancel() {
  Close(absl::UnavailableError("the stream was cancelled"));
}

void Session::OnDone() {
  std::shared_ptr<Session> self;
  {
    absl::MutexLock lock(&mu_);
    self = std::move(self_);
  }
  // `self` may be the last reference: this object ends with this scope.
}

}  // namespace dirbridge::cloud
