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
#include "cloud_svc/routing/session.h"
#include "cloud_svc/store/store.h"

namespace dirbridge::cloud {

// Which connectors are Connected, right now. Owns presence: a session that
// becomes ready records the connection and clears the connector's
// CONNECTOR_NOT_CONNECTED alert; one that ends (and was not replaced by a
// newer stream of the same connector, and not closed by our own shutdown)
// raises it. Drives heartbeats from one thread for all sessions.
// Thread-safe.
class SessionRegistry : public SessionHost {
 public:
  SessionRegistry(Store* store, const SessionLimits& limits);
  ~SessionRegistry() override;

  const SessionLimits& limits() const { return limits_; }

  // A stream that has not said Hello yet; heartbeats also police it.
  void Adopt(std::shared_ptr<Session> session);

  // The tenant's ready sessions (one per connector).
  std::vector<std::shared_ptr<Session>> Live(const std::string& tenant_id) const;
  std::shared_ptr<Session> Find(const std::string& connector_id) const;
  // Connected connectors per tenant (for metrics).
  std::vector<std::pair<std::string, int>> CountByTenant() const;

  // Ends every session; no alerts, since the cloud itself is going away.
  void CloseAll(const absl::Status& why);
  // Waits until no session is left, or the deadline passes.
  bool WaitUntilEmpty(absl::Time deadline);

  void OnSessionReady(std::shared_ptr<Session> session) override;
  void OnSessionClosed(Session* session, const absl::Status& why) override;

 private:
  void HeartbeatLoop();

  Store* const store_;
  const SessionLimits limits_;

  // Serialises the store side of presence (record + clear on ready,
  // alert on close), so that a reconnect racing a close never leaves an
  // alert standing for a connected connector. Taken before mu_.
  absl::Mutex presence_mu_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Session>> by_connector_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<std::shared_ptr<Session>>>
      by_tenant_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::shared_ptr<Session>> pending_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread heartbeats_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_SESSION_REGISTRY_H_
