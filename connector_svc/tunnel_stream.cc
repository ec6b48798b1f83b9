#include "connector_svc/tunnel_stream.h"

#include "absl/strings/str_cat.h"
#include "common/call_status.h"
#include "common/log.h"
#include "common/log_escape.h"
#include "connector_svc/identity.h"
#include "connector_svc/tunnel_client.h"

namespace dirbridge::connector {
namespace {

// A call that came without a deadline still must not hold a worker for ever.
constexpr absl::Duration kDefaultCallTimeout = absl::Minutes(5);

}  // namespace

TunnelStream::TunnelStream(TunnelClient* client, Dispatcher* dispatcher,
                           Directory* directory)
    : client_(client), dispatcher_(dispatcher), directory_(directory) {}

void TunnelStream::Start(v1::ConnectorTunnel::Stub* stub, const v1::Hello& hello,
                         const Identity& identity) {
  identity.Authenticate(context_);
  stub->async()->Connect(&context_, this);
  {
    absl::MutexLock lock(&mu_);
    self_ = shared_from_this();
    reported_ldap_ok_ = hello.ldap_ok();
    v1::ConnectorFrame frame;
    *frame.mutable_hello() = hello;
    Send(std::move(frame));
  }
  StartRead(&in_);
  StartCall();
}

void TunnelStream::Drain() {
  absl::MutexLock lock(&mu_);
  if (draining_ || done_) return;
  draining_ = true;
  v1::ConnectorFrame frame;
  frame.mutable_goaway()->set_reason("connector_svc is shutting down");
  Send(std::move(frame));
  MaybeWritesDoneLocked();
}

void TunnelStream::Abort() { context_.TryCancel(); }

grpc::Status TunnelStream::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

void TunnelStream::OnReadDone(bool ok) {
  if (!ok) return;  // the stream is over; OnDone follows
  v1::CloudFrame frame = std::move(in_);
  in_.Clear();
  HandleFrame(frame);
  StartRead(&in_);
}

void TunnelStream::HandleFrame(v1::CloudFrame& frame) {
  switch (frame.frame_case()) {
    case v1::CloudFrame::kSettings: {
      {
        absl::MutexLock lock(&mu_);
        initial_credits_ = frame.settings().initial_stream_credits();
        max_frame_bytes_ = frame.settings().max_frame_bytes();
      }
      dispatcher_->set_connector_id(frame.settings().connector_id());
      spdlog::info("event=tunnel_up connector={} revision={}",
                   frame.settings().connector_id(),
                   frame.settings().protocol_revision());
      client_->StreamAccepted(this);
      return;
    }
    case v1::CloudFrame::kCall:
      StartCallFrame(*frame.mutable_call());
      return;
    case v1::CloudFrame::kCancel: {
      absl::MutexLock lock(&mu_);
      auto it = calls_.find(frame.cancel().call_id());
      if (it == calls_.end()) return;
      it->second->Cancel();
      calls_.erase(it);
      MaybeWritesDoneLocked();
      return;
    }
    case v1::CloudFrame::kCredit: {
      absl::MutexLock lock(&mu_);
      auto it = calls_.find(frame.credit().call_id());
      if (it != calls_.end()) it->second->AddCredit(frame.credit().n());
      return;
    }
    case v1::CloudFrame::kPing: {
      absl::MutexLock lock(&mu_);
      v1::ConnectorFrame pong;
      pong.mutable_pong()->set_seq(frame.ping().seq());
      Send(std::move(pong));
      // Piggy-back a change in LDAP health on the heartbeat.
      bool ok = directory_->Healthy();
      if (ok != reported_ldap_ok_) {
        reported_ldap_ok_ = ok;
        v1::ConnectorFrame status;
        status.mutable_status()->set_ldap_ok(ok);
        Send(std::move(status));
      }
      return;
    }
    case v1::CloudFrame::kGoaway:
      spdlog::info("event=cloud_goaway reason=\"{}\"", LogSafe(frame.goaway().reason()));
      // Calls in flight here still get their answers; new ones go to the
      // stream the client opens elsewhere.
      client_->StreamGoaway(this);
      return;
    case v1::CloudFrame::FRAME_NOT_SET:
      return;
  }
}

void TunnelStream::StartCallFrame(v1::CallRequest& request) {
  absl::Duration timeout = request.timeout_ms() > 0
                               ? absl::Milliseconds(request.timeout_ms())
                               : kDefaultCallTimeout;
  std::shared_ptr<Call> call;
  {
    absl::MutexLock lock(&mu_);
    // Answers are cut to the frame limit of the stream the call came on.
    call = std::make_shared<Call>(request.call_id(), absl::Now() + timeout, max_frame_bytes_);
    if (draining_ || done_) {
      v1::ConnectorFrame frame;
      v1::CallResult* r = frame.mutable_result();
      r->set_call_id(request.call_id());
      SetCallStatus(absl::UnavailableError("the connector is shutting down"), r);
      Send(std::move(frame));
      return;
    }
    call->AddCredit(initial_credits_);
    calls_[request.call_id()] = call;
  }
  spdlog::debug("event=call_start call_id={} kind={} timeout_ms={}", request.call_id(),
                static_cast<int>(request.request_case()), request.timeout_ms());
  std::shared_ptr<TunnelStream> self = shared_from_this();
  dispatcher_->Dispatch(
      std::move(request), std::move(call),
      [self](v1::CallResult result) { self->Answer(std::move(result)); },
      [self](v1::ResultChunk chunk) { self->SendChunk(std::move(chunk)); });
}

void TunnelStream::Answer(v1::CallResult result) {
  absl::MutexLock lock(&mu_);
  // Cancelled, or the stream ended: nobody waits for this answer.
  if (calls_.erase(result.call_id()) == 0) return;
  v1::ConnectorFrame frame;
  *frame.mutable_result() = std::move(result);
  Send(std::move(frame));
  MaybeWritesDoneLocked();
}

void TunnelStream::SendChunk(v1::ResultChunk chunk) {
  absl::MutexLock lock(&mu_);
  if (!calls_.contains(chunk.call_id())) return;
  v1::ConnectorFrame frame;
  *frame.mutable_chunk() = std::move(chunk);
  Send(std::move(frame));
}

void TunnelStream::Send(v1::ConnectorFrame frame) {
  if (done_ || writes_done_) return;
  outbox_.push_back(std::move(frame));
  if (!write_in_flight_) {
    write_in_flight_ = true;
    StartWrite(&outbox_.front());
  }
}

void TunnelStream::MaybeWritesDoneLocked() {
  if (!draining_ || writes_done_ || done_ || !calls_.empty() || write_in_flight_) {
    return;
  }
  writes_done_ = true;
  StartWritesDone();
}

void TunnelStream::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  outbox_.pop_front();
  if (!ok) outbox_.clear();  // the stream broke; OnDone follows
  if (!outbox_.empty()) {
    // More behind it: let gRPC coalesce instead of flushing each frame.
    // Small frames only: a page of users is worth a flush of its own.
    grpc::WriteOptions options;
    if (outbox_.size() > 1 && outbox_.front().ByteSizeLong() < 16 * 1024) {
      options.set_buffer_hint();
    }
    StartWrite(&outbox_.front(), options);
    return;
  }
  write_in_flight_ = false;
  MaybeWritesDoneLocked();
}

void TunnelStream::OnDone(const grpc::Status& status) {
  std::shared_ptr<TunnelStream> self;
  {
    absl::MutexLock lock(&mu_);
    done_ = true;
    status_ = status;
    for (auto& [id, call] : calls_) call->Cancel();
    calls_.clear();
    self = std::move(self_);
  }
  client_->StreamEnded(this);
}

}  // namespace dirbridge::connector
