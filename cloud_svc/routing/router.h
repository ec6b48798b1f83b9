#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_ROUTER_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_ROUTER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/container/flat_hash_map.h"
#include "cloud_svc/routing/call_target.h"
#include "cloud_svc/routing/deadline_timer.h"
#include "cloud_svc/routing/session.h"
#include "cloud_svc/routing/session_registry.h"

namespace dirbridge::cloud {

// The tenant's connectors held by other replicas, as call targets one peer
// hop away (Presence, with a PostgreSQL store). Thread-safe.
class RemoteTargets {
 public:
  virtual ~RemoteTargets() = default;
  virtual std::vector<std::shared_ptr<CallTarget>> For(const std::string& tenant_id) = 0;
  // A call to `replica_id` never got there: leave it out for a while.
  virtual void Unreachable(const std::string& replica_id) = 0;
  // Some other live replica holds the connector's stream.
  virtual bool Holds(const std::string& tenant_id, const std::string& connector_id) = 0;
};

struct RouteOptions {
  // Empty: any live connector of the tenant.
  std::string connector_id;
  // Only this replica's own sessions: a call forwarded here by another
  // replica is never forwarded again.
  bool local_only = false;
  // Lookups and GetEkeys: retried once on another connector when the first
  // one drops the call.
  bool idempotent = false;
  std::optional<absl::Time> deadline;
};

// One backend call in flight through the tunnel. Thread-safe.
class RoutedCall {
 public:
  // The backend gave up (cancel or deadline): the connector is told, and
  // on_done sees `why` unless the answer already arrived.
  void Cancel(const absl::Status& why);
  // The backend consumed n streamed chunks.
  void GrantCredit(uint32_t n);

 private:
  friend class Router;
  absl::Mutex mu_;
  std::shared_ptr<CallTarget> target_ ABSL_GUARDED_BY(mu_);
  uint64_t call_id_ ABSL_GUARDED_BY(mu_) = 0;
  // Which sending of the call target_ is (a retry sends it again).
  uint64_t sends_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  // Cancel arrived before the call had its id: sent as soon as it has one.
  std::optional<absl::Status> cancelled_ ABSL_GUARDED_BY(mu_);
  // The cloud's own deadline for it, disarmed when it ends.
  std::optional<DeadlineTimer::Id> timer_ ABSL_GUARDED_BY(mu_);
};

struct RouterOptions {
  // The cloud's deadline for a call whose backend set none (--call_timeout,
  // --stream_timeout): no call holds a connector's slot for ever.
  absl::Duration call_timeout = absl::Seconds(30);
  absl::Duration stream_timeout = absl::Hours(1);
  // Calls one tenant may have in flight across its connectors
  // (--max_calls_per_tenant): one tenant's burst cannot hold every thread
  // and byte the router has.
  int max_calls_per_tenant = 4096;
};

// Backend call → one live session of the tenant, the one with the fewest
// calls in flight, on this replica or (through `remote`) on another; a tie
// stays here. Never crosses tenants: only the tenant's own sessions are
// ever considered. Thread-safe.
class Router {
 public:
  explicit Router(SessionRegistry* registry, RouterOptions options = {},
                  RemoteTargets* remote = nullptr)
      : registry_(registry), options_(options), remote_(remote) {}

  // on_done runs exactly once, possibly before Call returns (UNAVAILABLE at
  // once when no connector of the tenant is connected).
  std::shared_ptr<RoutedCall> Call(const std::string& tenant_id,
                                   v1::CallRequest request,
                                   const RouteOptions& options,
                                   CallHandlers handlers);

  // Another replica holds the connector (always false on one replica).
  bool HeldElsewhere(const std::string& tenant_id, const std::string& connector_id) const {
    return remote_ != nullptr && remote_->Holds(tenant_id, connector_id);
  }

  // Shutdown, first stage: from now on new calls get UNAVAILABLE.
  void StopAccepting();
  // Waits until the calls in flight have their answers, or the deadline.
  // True when none is left. (gRPC's own Server::Shutdown also waits for
  // idle client channels to go away, which a backend with a pooled channel
  // never does.)
  bool WaitIdle(absl::Time deadline);

 private:
  struct Attempt;
  void Send(std::shared_ptr<Attempt> attempt);

  std::shared_ptr<CallTarget> Pick(const Attempt& attempt) const;
  // Keeps in *best the least loaded of `targets` the attempt may use.
  template <typename Target>
  static void Consider(const Attempt& attempt,
                       const std::vector<std::shared_ptr<Target>>& targets,
                       std::shared_ptr<CallTarget>* best, int* best_load);

  SessionRegistry* const registry_;
  const RouterOptions options_;
  RemoteTargets* const remote_;
  absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> in_flight_by_tenant_ ABSL_GUARDED_BY(mu_);
  DeadlineTimer timer_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_ROUTER_H_
