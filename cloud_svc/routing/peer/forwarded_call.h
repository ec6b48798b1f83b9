#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_FORWARDED_CALL_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_FORWARDED_CALL_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloud_svc/routing/call_target.h"
#include "dirbridge/v1/peer.grpc.pb.h"

namespace dirbridge::cloud {

// Trailing metadata of a Forward that the holder refused before any
// connector saw the call: the origin may send it elsewhere.
inline constexpr char kNotSentTrailer[] = "dirbridge-not-sent";

// A call on its way to another replica, as RemoteSession holds it: a
// stream of its own (ForwardedCall) or a call on the link (PeerLink).
class Forward {
 public:
  virtual ~Forward() = default;
  virtual void Cancel(const absl::Status& why) = 0;
  virtual void Credit(uint32_t n) = 0;
};

// One backend call on its way to the replica that holds the connector: the
// client half of ReplicaPeer.Forward (callback API). Keeps itself alive
// until gRPC is done with it; `on_end` runs last, after on_done.
//
// A hold is taken at Start and released once the reply stream is over, so
// that credits written from the backend's threads never race the end of the
// call.
class ForwardedCall : public grpc::ClientBidiReactor<v1::PeerFrame, v1::PeerReply>,
                      public Forward {
 public:
  ForwardedCall(CallHandlers handlers, std::function<void()> on_end)
      : handlers_(std::move(handlers)), on_end_(std::move(on_end)) {}

  void Start(v1::ReplicaPeer::Stub* stub, std::shared_ptr<ForwardedCall> self,
             v1::ForwardCall call, absl::Time deadline);
  void Cancel(const absl::Status& why) override;
  void Credit(uint32_t n) override;

  void OnReadInitialMetadataDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  void Write(v1::PeerFrame frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  grpc::ClientContext context_;
  CallHandlers handlers_;
  std::function<void()> on_end_;
  v1::PeerReply in_;  // the one read in flight

  absl::Mutex mu_;
  std::shared_ptr<ForwardedCall> self_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::PeerFrame> outbox_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
  // The holder answered with its headers: it has the call.
  bool reached_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<v1::CallResult> result_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> cancelled_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_FORWARDED_CALL_H_
