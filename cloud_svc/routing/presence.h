#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_PRESENCE_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_PRESENCE_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloud_svc/routing/not_connected_alert.h"
#include "cloud_svc/routing/peer/peer_link.h"
#include "cloud_svc/routing/peer/remote_session.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/store/presence_store.h"
#include "common/thread_pool.h"
#include "cloud_svc/store/store.h"

namespace dirbridge::cloud {

struct PresenceOptions {
  std::string replica_id;
  // --replica_heartbeat: a replica silent for `missed` of them is dead.
  absl::Duration heartbeat = absl::Seconds(2);
  int missed = 3;
  // How long a tenant's remote sessions are used before they are asked of
  // the store again, in the background; a notice from any replica makes
  // the next call ask at once.
  absl::Duration cache_ttl = absl::Seconds(2);
  // --max_calls_per_connector, for calls this replica forwards to one.
  uint32_t max_calls_per_connector = 64;
};

// This replica's part in the presence N replicas share through the store
// (DESIGN "Scale beyond one machine"): heartbeats its row, records the
// sessions it holds, reaps dead replicas, raises Not Connected once no
// replica holds a connector, and offers the tenant's sessions held
// elsewhere to the router as call targets one peer hop away. The hot path
// reads a per-tenant cache. The store is asked once per tenant at a time:
// on a notice or a first call the callers wait for that one answer; past
// the cache's age they keep the view they have while it is refreshed in
// the background. Heartbeats have a thread of their own, so that no
// amount of reaping and mourning (which connectors can make more of by
// reconnecting) delays one past the dead window. Thread-safe.
class Presence : public RemoteTargets, public ReplicaPresence {
 public:
  using Dial = std::function<std::shared_ptr<v1::ReplicaPeer::Stub>(const std::string& addr)>;

  Presence(Store* store, PresenceOptions options, Dial dial);
  ~Presence() override;

  // The first heartbeat, publishing `peer_addr` (where the others reach
  // this replica), then the loop. The store must answer now: a replica
  // that cannot publish itself cannot be reached.
  absl::Status Start(std::string peer_addr);
  // A clean exit: this replica's row and sessions go at once, so nobody
  // forwards here or waits for it to be declared dead.
  void Stop();

  std::vector<std::shared_ptr<CallTarget>> For(const std::string& tenant_id) override;
  void Unreachable(const std::string& replica_id) override;
  bool Holds(const std::string& tenant_id, const std::string& connector_id) override;

  void Held(const std::string& tenant_id, const std::string& connector_id) override;
  void Released(const std::string& tenant_id, const std::string& connector_id,
                const std::string& why) override;

 private:
  using ConnectorKey = std::pair<std::string, std::string>;  // (tenant, connector)
  struct Mourning {
    absl::Time due;
    std::string why;
  };
  struct TenantView {
    absl::Time fetched = absl::InfinitePast();
    bool valid = false;     // false until fetched, and again after a notice
    bool fetching = false;  // one fetch per tenant at a time
    uint64_t notices = 0;   // a fetch that started before a notice is stale
    std::vector<std::shared_ptr<RemoteSession>> targets;
  };

  // What the store's watch callback reaches: cleared by Stop, so that a
  // notice arriving later (the store outlives us) touches nothing freed.
  struct Watch {
    absl::Mutex mu;
    Presence* presence ABSL_GUARDED_BY(mu) = nullptr;
  };

  void Forget(const std::string& tenant_id);
  void BeatLoop();
  void WorkLoop();
  // Waits one heartbeat; false once Stop was called.
  bool Tick();
  void Beat(absl::Time now);
  void Republish();
  void Reap(absl::Time now);
  void Mourn(absl::Time now);
  absl::Duration dead_after() const { return options_.heartbeat * options_.missed; }
  // The store's view of the tenant's sessions on other live replicas.
  absl::StatusOr<std::vector<std::shared_ptr<RemoteSession>>> Fetch(
      const std::string& tenant_id);
  // Fetches and keeps the tenant's view; the caller set `fetching`.
  void Refresh(const std::string& tenant_id);
  std::vector<std::shared_ptr<CallTarget>> Reachable(
      const std::vector<std::shared_ptr<RemoteSession>>& targets, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<PeerLink> LinkFor(const std::string& replica_id);

  Store* const store_;
  const PresenceOptions options_;
  const Dial dial_;
  std::string peer_addr_;  // set by Start, before the loop runs

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool beat_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool republish_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_beat_ ABSL_GUARDED_BY(mu_);
  // (tenant, connector) this replica holds, to publish again after the
  // store lost them (it was down, or reaped us while we stalled).
  absl::flat_hash_set<ConnectorKey> held_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, TenantView> tenants_ ABSL_GUARDED_BY(mu_);
  // replica id -> (peer address, link to it)
  absl::flat_hash_map<std::string, std::pair<std::string, std::shared_ptr<PeerLink>>> peers_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> unreachable_until_ ABSL_GUARDED_BY(mu_);
  // Every link made, to close at Stop: one a view still holds may have
  // left peers_ already.
  std::vector<std::weak_ptr<PeerLink>> links_ ABSL_GUARDED_BY(mu_);
  // One entry per connector however often it dropped: the latest drop's.
  absl::flat_hash_map<ConnectorKey, Mourning> mourning_ ABSL_GUARDED_BY(mu_);
  std::thread beat_loop_;
  std::thread work_loop_;
  // Background refreshes of views past their age; at most one per tenant.
  ThreadPool refresh_{1, 4096};
  std::shared_ptr<Watch> watch_ = std::make_shared<Watch>();
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_PRESENCE_H_
