#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_SESSION_REGISTRY_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_SESSION_REGISTRY_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "cloud_svc/identity/connector_identity.h"
#include "cloud_svc/routing/not_connected_alert.h"
#include "cloud_svc/routing/session.h"
#include "cloud_svc/store/store.h"
#include "common/thread_pool.h"

namespace dirbridge::cloud {

// Which connectors are Connected, right now. Owns presence: a session that
// becomes ready records the connection and clears the connector's
// CONNECTOR_NOT_CONNECTED alert; one that ends (and was not replaced by a
// newer stream of the same connector, and not closed by our own shutdown)
// raises it. Drives heartbeats from one thread for all sessions.
//
// Sessions tell the registry from their reactions, which must never wait
// on the store: the maps change at once, and the store's side of presence
// runs on one thread of its own, in the order it happened (so a reconnect
// racing a close never leaves an alert standing for a connected
// connector). A session that ended stays listed, refusing calls, until its
// alert is stored: whoever sees the connector Not Connected finds the alert.
// Thread-safe.
class SessionRegistry : public SessionHost {
 public:
  // `authenticator` checks a stream's credential again at its Hello, on
  // `pool` (it asks the store).
  SessionRegistry(Store* store, ConnectorAuthenticator* authenticator, ThreadPool* pool,
                  const SessionLimits& limits);
  ~SessionRegistry() override;

  const SessionLimits& limits() const { return limits_; }
  // With N replicas: who else must hear of the sessions this one holds.
  // Set once, before the first stream.
  void set_replicas(ReplicaPresence* replicas) { replicas_ = replicas; }
  // Stage one of a replica's drain: every ready session gets Goaway and
  // takes no new calls, so that its connector moves to another replica now;
  // each ends once its calls are answered. New streams are still taken
  // (a connector with one address comes back here until the listener goes).
  void RetireAll(const absl::Status& why);

  // A stream that `identity` opened and that has not said Hello yet: it
  // starts reading, and heartbeats police it.
  void Adopt(std::shared_ptr<Session> session, ConnectorIdentity identity,
             std::string presented);
  // Ends every stream of the connector at once, ready or not yet (it was
  // deleted, or registered again with a new credential).
  void Revoke(const std::string& tenant_id, const std::string& connector_id,
              const absl::Status& why);
  // Waits until the store holds what presence has learned so far (tests).
  bool WaitForPresence(absl::Time deadline);

  // The tenant's ready sessions (one per connector).
  std::vector<std::shared_ptr<Session>> Live(const std::string& tenant_id) const;
  std::shared_ptr<Session> Find(const std::string& connector_id) const;
  // Connected connectors per tenant (for metrics).
  std::vector<std::pair<std::string, int>> CountByTenant() const;

  // Ends every session; no alerts, since the cloud itself is going away.
  void CloseAll(const absl::Status& why);
  // Waits until no session is left, or the deadline passes.
  bool WaitUntilEmpty(absl::Time deadline);

  void OnHello(std::shared_ptr<Session> session) override;
  void OnSessionReady(std::shared_ptr<Session> session) override;
  void OnSessionClosed(Session* session, const absl::Status& why) override;

 private:
  void HeartbeatLoop();
  // The store's side of presence, on presence_.
  void RecordReady(std::shared_ptr<Session> session);
  void RecordClosed(std::shared_ptr<Session> session, const absl::Status& why,
                    bool shutting_down);
  // Forgets `session` if it is still the connector's current one.
  void Forget(Session* session);

  Store* const store_;
  ConnectorAuthenticator* const authenticator_;
  ThreadPool* const pool_;
  const SessionLimits limits_;
  ReplicaPresence* replicas_ = nullptr;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Session>> by_connector_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<std::shared_ptr<Session>>>
      by_tenant_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::shared_ptr<Session>> pending_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread heartbeats_;
  // One thread: presence is written in the order it happened. Declared
  // last, so that it stops (running what is queued) before the rest goes.
  ThreadPool presence_{1};
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_SESSION_REGISTRY_H_
