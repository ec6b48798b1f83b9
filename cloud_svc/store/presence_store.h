#ifndef DIRBRIDGE_CLOUD_SVC_STORE_PRESENCE_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_PRESENCE_STORE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dirbridge::cloud {

// One cloud_svc replica as the others see it.
struct ReplicaRecord {
  std::string replica_id;
  // Where the others reach it to forward calls (--peer_addr).
  std::string peer_addr;
  absl::Time last_seen;
};

// "Replica R holds connector C's tunnel stream (of tenant T) since S."
struct HeldSession {
  std::string replica_id;
  std::string tenant_id;
  std::string connector_id;
  absl::Time since;
};

// Which replica holds which connector's stream, when N replicas share one
// store. A replica heartbeats its row; one whose last_seen is older than
// the caller's `alive_after` is dead, and its sessions count for nothing
// (Coder's HA coordinator works this way). Times are the replicas' clocks,
// so replicas keep them in step (NTP) to well under a heartbeat. A
// connector may be held by two replicas for a moment while it moves: the
// key of a session is (replica_id, connector_id). Implementations are
// thread-safe. Any method may also fail UNAVAILABLE (busy or unreachable:
// worth a retry) or INTERNAL.
class PresenceStore {
 public:
  virtual ~PresenceStore() = default;

  // Creates or refreshes the replica's row: peer_addr and last_seen = now.
  virtual absl::Status Heartbeat(absl::string_view replica_id, absl::string_view peer_addr,
                                 absl::Time now) = 0;
  // Replicas with last_seen > alive_after, by replica id.
  virtual absl::StatusOr<std::vector<ReplicaRecord>> LiveReplicas(absl::Time alive_after) = 0;
  // A clean exit: the replica's row and all its sessions go. OK when absent.
  virtual absl::Status RemoveReplica(absl::string_view replica_id) = 0;

  // The replica holds the session now (again: `since` is replaced).
  // FAILED_PRECONDITION when the replica has no row (never heartbeat, or
  // reaped as dead: it must heartbeat again first).
  virtual absl::Status PutSession(const HeldSession& session) = 0;
  // The replica no longer holds the connector's stream. OK when it did not.
  virtual absl::Status DropSession(absl::string_view replica_id,
                                   absl::string_view connector_id) = 0;
  // The tenant's sessions on replicas alive after `alive_after`, by
  // connector id then replica id. Never another tenant's.
  virtual absl::StatusOr<std::vector<HeldSession>> TenantSessions(absl::string_view tenant_id,
                                                                  absl::Time alive_after) = 0;
  // Replicas dead at `alive_after` (last_seen <= it), by replica id.
  virtual absl::StatusOr<std::vector<ReplicaRecord>> DeadReplicas(absl::Time alive_after) = 0;
  // Deletes a dead replica's row and returns the sessions it held, if it is
  // still dead at `alive_after`; of concurrent reaps of one replica exactly
  // one gets the sessions (the others get an empty list), so each of its
  // connectors is mourned once. A replica that heartbeat since is left
  // alone (empty list).
  virtual absl::StatusOr<std::vector<HeldSession>> ReapReplica(absl::string_view replica_id,
                                                               absl::Time alive_after) = 0;

  // Calls `on_change(tenant_id)` soon after any replica's PutSession or
  // DropSession for the tenant, and `on_change("")` after a RemoveReplica
  // or ReapReplica; on a thread of the store's, never inside a store call.
  // Best effort (PostgreSQL: LISTEN/NOTIFY): a lost notice costs the
  // caller's cache lifetime, never correctness. Call once, before use.
  virtual void WatchSessions(std::function<void(const std::string& tenant_id)> on_change) = 0;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_PRESENCE_STORE_H_
