#include "cloud_svc/routing/peer/peer_service.h"

#include <grpcpp/security/auth_context.h>

#include <deque>

#include "absl/strings/match.h"
#include "cloud_svc/identity/tunnel_ca.h"
#include "cloud_svc/routing/peer/forwarded_call.h"
#include "common/grpc_reactors.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/log_escape.h"

namespace dirbridge::cloud {
namespace {

// Whether the client certificate the TLS handshake verified names a
// replica. gRPC puts the certificate's URI SANs in the auth context: no
// parse, no cache and no lock per call, whatever certificate a caller
// presents.
bool PresentsReplicaCert(const grpc::CallbackServerContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth) return false;
  for (const grpc::string_ref& uri : auth->FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    if (absl::StartsWith(absl::string_view(uri.data(), uri.size()), kReplicaUriPrefix)) {
      return true;
    }
  }
  return false;
}

class ForwardReactor : public grpc::ServerBidiReactor<v1::PeerFrame, v1::PeerReply> {
 public:
  ForwardReactor(grpc::CallbackServerContext* context, Router* router)
      : context_(context), router_(router) {
    // Headers at once: the origin learns the call got here, so that a
    // connection lost later is not mistaken for one that never was.
    StartSendInitialMetadata();
    StartRead(&in_);
  }

  // The call is routed only once the headers are out, so that an origin
  // without them may take it for never sent.
  void OnSendInitialMetadataDone(bool ok) override {
    std::optional<v1::ForwardCall> held;
    {
      absl::MutexLock lock(&mu_);
      headers_sent_ = true;
      if (!ok && !finish_) finish_ = absl::CancelledError("the forwarding replica went away");
      if (ok) {
        held = std::move(held_call_);
        held_call_.reset();
        if (held) ++in_reaction_;
      }
    }
    if (held) {
      Begin(*std::move(held));
      absl::MutexLock lock(&mu_);
      --in_reaction_;
    }
    Settle();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The origin half-closed or went. Before a call arrived that is the
      // end; after, OnCancel or the answer ends it.
      if (!started_) Complete(absl::InvalidArgumentError("Forward: no call was sent"));
      return;
    }
    {
      // No Finish while this reaction runs: Begin may complete the call at
      // once, and the read below must still be started before it.
      absl::MutexLock lock(&mu_);
      ++in_reaction_;
    }
    if (in_.has_call() && !started_) {
      started_ = true;
      bool now;
      {
        absl::MutexLock lock(&mu_);
        now = headers_sent_ && !finish_;
        if (!headers_sent_) held_call_ = std::move(*in_.mutable_call());
      }
      if (now) Begin(std::move(*in_.mutable_call()));
    } else if (in_.has_credit()) {
      std::shared_ptr<RoutedCall> call;
      {
        absl::MutexLock lock(&mu_);
        call = call_;
      }
      if (call) call->GrantCredit(in_.credit().n());
    }
    in_.Clear();
    {
      absl::MutexLock lock(&mu_);
      if (!finished_) StartRead(&in_);
      --in_reaction_;
    }
    Settle();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      outbox_.pop_front();
      if (!ok) outbox_.clear();
      if (!outbox_.empty()) {
        StartWrite(&outbox_.front());
        return;
      }
      write_in_flight_ = false;
    }
    Settle();
  }

  void OnCancel() override {
    absl::Status why = absl::CancelledError("the forwarding replica gave up on the call");
    std::shared_ptr<RoutedCall> call;
    {
      absl::MutexLock lock(&mu_);
      call = call_;
    }
    if (call) {
      call->Cancel(why);
    } else {
      Complete(why);  // nothing routed yet, or never will be: end it here
    }
  }

  void OnDone() override { delete this; }

 private:
  void Begin(v1::ForwardCall forward) {
    absl::StatusOr<RouteOptions> options = ForwardRoute(forward);
    if (!options.ok()) {
      Complete(options.status());
      return;
    }
    bool streams = forward.request().request_case() == v1::CallRequest::kSearchUsers;
    CallHandlers handlers;
    if (streams) {
      handlers.on_chunk = [this](v1::ResultChunk&& chunk) {
        v1::PeerReply reply;
        *reply.mutable_chunk() = std::move(chunk);
        absl::MutexLock lock(&mu_);
        Write(std::move(reply));
      };
    }
    handlers.on_done = [this](absl::StatusOr<v1::CallResult> result) {
      if (!result.ok()) {
        Complete(result.status());
        return;
      }
      v1::PeerReply reply;
      *reply.mutable_result() = std::move(*result);
      bool at_once = false;
      {
        absl::MutexLock lock(&mu_);
        if (finish_) return;
        finish_ = absl::OkStatus();
        if (!write_in_flight_ && in_reaction_ == 0) {
          // The usual case: answer and status in one step.
          last_ = std::move(reply);
          finished_ = true;
          call_.reset();
          at_once = true;
        } else {
          Write(std::move(reply));
        }
      }
      // Unlocked: gRPC may run OnDone (delete this) inside a Finish.
      if (at_once) {
        StartWriteAndFinish(&last_, grpc::WriteOptions(), grpc::Status::OK);
      } else {
        Settle();
      }
    };
    // Checked first: LogSafe builds a string, on every forwarded call.
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("event=peer_forward_in origin={} connector={}",
                    LogSafe(forward.origin_replica()), forward.connector_id());
    }
    std::shared_ptr<RoutedCall> call = router_->Call(
        forward.tenant_id(), std::move(*forward.mutable_request()), *options, std::move(handlers));
    absl::MutexLock lock(&mu_);
    if (!finish_) call_ = std::move(call);
  }

  void Complete(const absl::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (finish_) return;
      if (IsNotSent(status)) context_->AddTrailingMetadata(kNotSentTrailer, "1");
      finish_ = status;
    }
    Settle();
  }

  void Write(v1::PeerReply reply) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    outbox_.push_back(std::move(reply));
    if (write_in_flight_) return;
    write_in_flight_ = true;
    StartWrite(&outbox_.front());
  }

  // Finishes once the outcome is known, the writes are out and no reaction
  // runs. Called unlocked: gRPC may run OnDone (delete this) inside Finish.
  void Settle() {
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      if (!finish_ || finished_ || write_in_flight_ || in_reaction_ > 0) return;
      finished_ = true;
      call_.reset();
      status = ToGrpcStatus(*finish_);
    }
    Finish(status);
  }

  grpc::CallbackServerContext* const context_;
  Router* const router_;
  v1::PeerFrame in_;
  bool started_ = false;  // reactions run one at a time: no lock needed

  absl::Mutex mu_;
  std::shared_ptr<RoutedCall> call_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::PeerReply> outbox_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Status> finish_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // Reactions that may complete the call are running: Finish waits.
  int in_reaction_ ABSL_GUARDED_BY(mu_) = 0;
  bool headers_sent_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<v1::ForwardCall> held_call_ ABSL_GUARDED_BY(mu_);
  v1::PeerReply last_;  // written once, by StartWriteAndFinish
};

}  // namespace

grpc::ServerBidiReactor<v1::LinkFrame, v1::LinkReply>* PeerService::Link(
    grpc::CallbackServerContext* context) {
  if (require_replica_cert_ && !PresentsReplicaCert(*context)) {
    spdlog::warn("event=peer_refused peer=\"{}\" note=\"no replica certificate\"",
                 LogSafe(context->peer()));
    context->AddTrailingMetadata(kLinkLastCallTrailer, "0");  // took nothing
    return new RefusedReactor<grpc::ServerBidiReactor<v1::LinkFrame, v1::LinkReply>>(
        absl::PermissionDeniedError("the peer hop serves cloud_svc replicas only"));
  }
  return links_.Open(context);
}

grpc::ServerBidiReactor<v1::PeerFrame, v1::PeerReply>* PeerService::Forward(
    grpc::CallbackServerContext* context) {
  if (require_replica_cert_ && !PresentsReplicaCert(*context)) {
    spdlog::warn("event=peer_refused peer=\"{}\" note=\"no replica certificate\"",
                 LogSafe(context->peer()));
    return new RefusedReactor<grpc::ServerBidiReactor<v1::PeerFrame, v1::PeerReply>>(
        absl::PermissionDeniedError("the peer hop serves cloud_svc replicas only"));
  }
  return new ForwardReactor(context, router_);
}

}  // namespace dirbridge::cloud
