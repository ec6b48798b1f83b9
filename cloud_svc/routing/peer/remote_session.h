#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_REMOTE_SESSION_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_REMOTE_SESSION_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "cloud_svc/routing/call_target.h"
#include "cloud_svc/routing/peer/forwarded_call.h"
#include "cloud_svc/routing/peer/peer_link.h"
#include "dirbridge/v1/peer.grpc.pb.h"

namespace dirbridge::cloud {

// A connector's tunnel stream held by another replica, as a call target:
// a streamed call is one ReplicaPeer.Forward stream on the channel to
// that replica, every other call one message each way on the link to it. InFlight counts this replica's calls on it (the holder counts
// its own): enough for least-in-flight to spread a tenant's load.
// Thread-safe.
class RemoteSession : public CallTarget,
                      public std::enable_shared_from_this<RemoteSession> {
 public:
  RemoteSession(std::string tenant_id, std::string connector_id, std::string replica_id,
                std::string origin_replica, std::shared_ptr<PeerLink> link,
                uint32_t max_calls)
      : tenant_id_(std::move(tenant_id)),
        connector_id_(std::move(connector_id)),
        replica_id_(std::move(replica_id)),
        origin_replica_(std::move(origin_replica)),
        link_(std::move(link)),
        max_calls_(max_calls) {}

  absl::StatusOr<uint64_t> StartCall(v1::CallRequest request, CallHandlers handlers) override;
  void CancelCall(uint64_t call_id, const absl::Status& why) override;
  void GrantCredit(uint64_t call_id, uint32_t n) override;
  int InFlight() const override;
  // Below --max_calls_per_connector of this replica's own calls: the
  // holder would refuse more only after a hop, and each one here holds a
  // gRPC call.
  bool TakingCalls() const override;
  const std::string& target_connector_id() const override { return connector_id_; }
  const std::string& replica_id() const override { return replica_id_; }

 private:
  std::shared_ptr<Forward> Find(uint64_t call_id) const;
  void Publish(uint64_t id, std::shared_ptr<Forward> call);

  const std::string tenant_id_;
  const std::string connector_id_;
  const std::string replica_id_;
  const std::string origin_replica_;
  const std::shared_ptr<PeerLink> link_;
  const uint32_t max_calls_;

  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, std::shared_ptr<Forward>> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_REMOTE_SESSION_H_
