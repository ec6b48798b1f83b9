#ifndef DIRBRIDGE_CLOUD_SVC_STORE_MEMORY_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_MEMORY_STORE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloud_svc/store/fault_injector.h"
#include "cloud_svc/store/session_notifier.h"
#include "cloud_svc/store/store.h"

namespace dirbridge::cloud {

// An in-memory Store for tests, with the same semantics as SqliteStore (both
// pass tests/store/) and faults to inject:
//   FailAll(s)       every call returns s until ClearFaults()
//   FailNext(op, s)  the next call of method `op` (e.g. "GetConnector")
//                    returns s, once; queued when given several times
//   Hang()           every call blocks, inside the store call and in the
//                    caller's thread, until Release() or ClearFaults()
//   WaitForHung(n)   true once n calls are blocked in Hang
//   calls(op)        how often method `op` was called, failed ones included
// A failed call changes nothing. Destroying the store releases hung calls
// (they return UNAVAILABLE) and waits for every call in progress to end.
// Thread-safe.
class MemoryStore : public Store {
 public:
  MemoryStore();
  ~MemoryStore() override;

  void FailAll(absl::Status s) { faults_.FailAll(std::move(s)); }
  void FailNext(absl::string_view op, absl::Status s) { faults_.FailNext(op, std::move(s)); }
  void Hang() { faults_.Hang(); }
  void Release() { faults_.Release(); }
  bool WaitForHung(int n, absl::Duration timeout) { return faults_.WaitForHung(n, timeout); }
  int calls(absl::string_view op) const { return faults_.calls(op); }
  // Ends FailAll, FailNext and Hang alike.
  void ClearFaults() { faults_.ClearFaults(); }

  // TenantStore (memory_store.cc).
  absl::Status CreateTenant(const TenantRecord& tenant, absl::string_view token_hash) override;
  absl::StatusOr<TenantRecord> TenantByTokenHash(absl::string_view token_hash) override;

  // ConnectorStore (memory_store.cc).
  absl::Status CreateConnector(const ConnectorRecord& connector) override;
  absl::StatusOr<ConnectorRecord> GetConnector(absl::string_view tenant_id,
                                               absl::string_view connector_id) override;
  absl::StatusOr<std::vector<ConnectorRecord>> ListConnectors(
      absl::string_view tenant_id) override;
  absl::Status DeleteConnector(absl::string_view tenant_id,
                               absl::string_view connector_id) override;
  absl::Status SetRegistrationKey(absl::string_view tenant_id, absl::string_view connector_id,
                                  absl::string_view key_hash, absl::Time expires_at) override;
  absl::StatusOr<ConnectorRecord> RedeemRegistrationKey(
      absl::string_view key_hash, absl::Time now, absl::string_view credential_hash) override;
  absl::StatusOr<ConnectorRecord> ConnectorByCredentialHash(
      absl::string_view credential_hash) override;
  absl::Status RecordConnection(const ConnectorRecord& connector) override;
  absl::Status TouchConnector(absl::string_view tenant_id, absl::string_view connector_id,
                              absl::Time last_seen, bool ldap_ok) override;

  // The quota counts of ConnectorStore, MappingStore and DeploymentStore
  // (memory_store_counts.cc).
  absl::StatusOr<uint64_t> CountConnectors(absl::string_view tenant_id) override;
  absl::StatusOr<uint64_t> CountMappings(absl::string_view tenant_id) override;
  absl::StatusOr<uint64_t> CountLiveDeploymentTokens(absl::string_view tenant_id,
                                                     absl::Time now) override;
  absl::StatusOr<uint64_t> CountDevices(absl::string_view tenant_id) override;

  // AlertStore and AuditStore (memory_store.cc).
  absl::Status RaiseAlert(const AlertRecord& alert) override;
  absl::Status ClearAlerts(absl::string_view tenant_id, AlertKind kind,
                           absl::string_view connector_id, absl::string_view mapping_id,
                           absl::Time cleared_at) override;
  absl::StatusOr<std::vector<AlertRecord>> ListAlerts(absl::string_view tenant_id,
                                                      bool active_only) override;
  absl::StatusOr<std::vector<AlertRecord>> ListAlertsPage(absl::string_view tenant_id,
                                                          bool active_only,
                                                          const AlertRecord* after,
                                                          int limit) override;
  absl::Status AppendAudit(const AuditRecord& record) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(absl::string_view tenant_id,
                                                     int limit) override;

  // MappingStore, UserStore, EkeyStore, DeploymentStore (memory_store_users.cc).
  absl::StatusOr<MappingRecord> CreateMapping(MappingRecord mapping) override;
  absl::StatusOr<MappingRecord> GetMapping(absl::string_view tenant_id,
                                           absl::string_view mapping_id) override;
  absl::StatusOr<std::vector<MappingRecord>> ListMappings(absl::string_view tenant_id) override;
  absl::StatusOr<std::vector<MappingRecord>> DueMappings(absl::Time now) override;
  absl::Status SetMappingRun(const MappingRecord& mapping) override;
  absl::Status SetNextRun(absl::string_view tenant_id, absl::string_view mapping_id,
                          absl::Time next_run_at) override;
  absl::StatusOr<bool> ClaimRun(absl::string_view tenant_id, absl::string_view mapping_id,
                                absl::Time due_at, absl::Time next_run_at) override;
  // (memory_store_mapping_changes.cc)
  absl::StatusOr<MappingRecord> UpdateMapping(const MappingRecord& mapping) override;
  absl::StatusOr<uint64_t> DeleteMapping(absl::string_view tenant_id, absl::string_view mapping_id,
                                         absl::Time now) override;
  absl::StatusOr<UpsertCounts> UpsertUsers(const MappingRecord& mapping, absl::string_view run_id,
                                           const std::vector<UserRecord>& users) override;
  absl::StatusOr<uint64_t> CountUnseen(const MappingRecord& mapping,
                                       absl::string_view run_id) override;
  absl::StatusOr<uint64_t> CountActive(const MappingRecord& mapping) override;
  absl::StatusOr<std::pair<uint64_t, uint64_t>> ApplyRun(const MappingRecord& mapping,
                                                         absl::string_view run_id,
                                                         absl::Time now) override;
  absl::StatusOr<std::vector<UserRecord>> ListUsers(absl::string_view tenant_id,
                                                    absl::string_view mapping_id,
                                                    absl::string_view after_user_id,
                                                    int limit) override;
  absl::StatusOr<EkeyRecord> CurrentEkey(absl::string_view tenant_id,
                                         absl::string_view user_id) override;
  absl::StatusOr<EkeyRecord> PutEkey(const EkeyRecord& ekey, bool replace) override;
  absl::StatusOr<std::vector<EkeyRecord>> CurrentEkeys(
      absl::string_view tenant_id, const std::vector<std::string>& user_ids) override;
  absl::Status CreateDeploymentToken(absl::string_view token_hash,
                                     const DeploymentToken& token) override;
  absl::StatusOr<DeploymentToken> GetDeploymentToken(absl::string_view token_hash) override;
  absl::StatusOr<Activation> Activate(const MappingRecord& mapping, const UserRecord& user,
                                      absl::string_view device_name, absl::Time now) override;

  // PresenceStore (memory_store_presence.cc).
  absl::Status Heartbeat(absl::string_view replica_id, absl::string_view peer_addr,
                         absl::Time now) override;
  absl::StatusOr<std::vector<ReplicaRecord>> LiveReplicas(absl::Time alive_after) override;
  absl::Status RemoveReplica(absl::string_view replica_id) override;
  absl::Status PutSession(const HeldSession& session) override;
  absl::Status DropSession(absl::string_view replica_id, absl::string_view connector_id) override;
  absl::StatusOr<std::vector<HeldSession>> TenantSessions(absl::string_view tenant_id,
                                                          absl::Time alive_after) override;
  absl::StatusOr<std::vector<ReplicaRecord>> DeadReplicas(absl::Time alive_after) override;
  absl::StatusOr<std::vector<HeldSession>> ReapReplica(absl::string_view replica_id,
                                                       absl::Time alive_after) override;
  void WatchSessions(std::function<void(const std::string& tenant_id)> on_change) override;

 private:
  struct Tenant {
    TenantRecord record;
    std::string token_hash;
  };
  struct Connector {
    ConnectorRecord record;
    bool deleted = false;
    std::optional<std::string> credential_hash;
  };
  struct RegistrationKey {
    std::string key_hash;
    absl::Time expires_at;
  };
  struct User {
    UserRecord record;
    std::string last_seen_run;
  };
  struct Ekey {
    EkeyRecord record;
    bool current = true;
  };
  struct Device {
    std::string device_id, tenant_id, user_id, device_name;
    absl::Time created_at;
  };

  // Each is what the SQLite schema's foreign key or unique index refuses.
  absl::Status NeedTenant(absl::string_view tenant_id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A live connector of the tenant; NOT_FOUND otherwise.
  absl::StatusOr<Connector*> LiveConnector(absl::string_view tenant_id,
                                           absl::string_view connector_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  MappingRecord* FindMapping(absl::string_view tenant_id, absl::string_view mapping_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  User* UserByDirectoryId(absl::string_view tenant_id, absl::string_view directory_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Ekey* CurrentEkeyLocked(absl::string_view tenant_id, absl::string_view user_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, Tenant, std::less<>> tenants_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Connector, std::less<>> connectors_ ABSL_GUARDED_BY(mu_);
  // By connector id: one key per connector.
  std::map<std::string, RegistrationKey, std::less<>> registration_keys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, MappingRecord, std::less<>> mappings_ ABSL_GUARDED_BY(mu_);
  // By user id, which is also ListUsers' order.
  std::map<std::string, User, std::less<>> users_ ABSL_GUARDED_BY(mu_);
  std::vector<Device> devices_ ABSL_GUARDED_BY(mu_);
  std::vector<Ekey> ekeys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, DeploymentToken, std::less<>> deployment_tokens_ ABSL_GUARDED_BY(mu_);
  std::vector<AlertRecord> alerts_ ABSL_GUARDED_BY(mu_);  // in the order raised
  std::vector<AuditRecord> audit_ ABSL_GUARDED_BY(mu_);   // in the order appended
  std::map<std::string, ReplicaRecord, std::less<>> replicas_ ABSL_GUARDED_BY(mu_);
  // By (replica id, connector id), the key of a session.
  std::map<std::pair<std::string, std::string>, HeldSession> sessions_ ABSL_GUARDED_BY(mu_);

  // Last: destroyed first, so calls still in progress end before the state
  // they use goes away.
  FaultInjector faults_;
  // After faults_, so destroyed before it: a callback in progress may still
  // call the store.
  SessionNotifier notifier_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_MEMORY_STORE_H_
