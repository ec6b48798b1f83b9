#ifndef DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cloud_svc/store/session_notifier.h"
#include "cloud_svc/store/sqlite_db.h"
#include "cloud_svc/store/store.h"

namespace dirbridge::cloud {

// The default Store: one SQLite file (WAL) under --data_dir. One connection
// behind one mutex; each method is one statement or one transaction. The
// code is split by concern: sqlite_<part>.cc for each Store part and
// sqlite_schema.cc for Open and the numbered migrations.
class SqliteStore : public Store {
 public:
  // Opens or creates the file and brings its schema up to date.
  // FAILED_PRECONDITION when the file cannot be opened or its schema is
  // newer than this build's.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);

  // TenantStore (sqlite_tenants.cc).
  absl::Status CreateTenant(const TenantRecord& tenant, absl::string_view token_hash) override;
  absl::StatusOr<TenantRecord> TenantByTokenHash(absl::string_view token_hash) override;

  // ConnectorStore (sqlite_connectors.cc).
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
  // (sqlite_counts.cc).
  absl::StatusOr<uint64_t> CountConnectors(absl::string_view tenant_id) override;
  absl::StatusOr<uint64_t> CountMappings(absl::string_view tenant_id) override;
  absl::StatusOr<uint64_t> CountLiveDeploymentTokens(absl::string_view tenant_id,
                                                     absl::Time now) override;
  absl::StatusOr<uint64_t> CountDevices(absl::string_view tenant_id) override;

  // MappingStore (sqlite_mappings.cc).
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
  absl::StatusOr<MappingRecord> UpdateMapping(const MappingRecord& mapping) override;
  absl::StatusOr<uint64_t> DeleteMapping(absl::string_view tenant_id, absl::string_view mapping_id,
                                         absl::Time now) override;

  // UserStore (sqlite_users.cc).
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

  // EkeyStore (sqlite_ekeys.cc).
  absl::StatusOr<EkeyRecord> CurrentEkey(absl::string_view tenant_id,
                                         absl::string_view user_id) override;
  absl::StatusOr<EkeyRecord> PutEkey(const EkeyRecord& ekey, bool replace) override;
  absl::StatusOr<std::vector<EkeyRecord>> CurrentEkeys(
      absl::string_view tenant_id, const std::vector<std::string>& user_ids) override;

  // DeploymentStore (sqlite_deployment.cc).
  absl::Status CreateDeploymentToken(absl::string_view token_hash,
                                     const DeploymentToken& token) override;
  absl::StatusOr<DeploymentToken> GetDeploymentToken(absl::string_view token_hash) override;
  absl::StatusOr<Activation> Activate(const MappingRecord& mapping, const UserRecord& user,
                                      absl::string_view device_name, absl::Time now) override;

  // AlertStore (sqlite_alerts.cc).
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

  // AuditStore (sqlite_audit.cc).
  absl::Status AppendAudit(const AuditRecord& record) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(absl::string_view tenant_id,
                                                     int limit) override;

  // PresenceStore (sqlite_presence.cc). WatchSessions hears this process's
  // own changes only: with SQLite there is no other replica to hear.
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
  explicit SqliteStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  // Runs `body` in one IMMEDIATE transaction; rolls back when it fails.
  template <typename T>
  absl::StatusOr<T> InTransaction(const std::function<absl::StatusOr<T>()>& body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs a single-row UPDATE; NOT_FOUND (with `what`) when no row matched.
  absl::Status UpdateOne(SqliteStatement& update, absl::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Shared by users and deployment (sqlite_users.cc).
  absl::StatusOr<std::optional<UserRecord>> UserByDirectoryId(absl::string_view tenant_id,
                                                              absl::string_view directory_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status InsertUser(const UserRecord& user, absl::string_view run_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::StatusOr<EkeyRecord> CurrentEkeyLocked(absl::string_view tenant_id,
                                               absl::string_view user_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<ConnectorRecord> OneConnector(absl::string_view where_sql, absl::string_view a,
                                               absl::string_view b)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::unique_ptr<SqliteDb> db_ ABSL_GUARDED_BY(mu_);
  // Last: its thread stops before the connection closes.
  SessionNotifier notifier_;
};

template <typename T>
absl::StatusOr<T> SqliteStore::InTransaction(const std::function<absl::StatusOr<T>()>& body) {
  if (absl::Status st = db_->Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  absl::StatusOr<T> out = body();
  if (out.ok()) {
    absl::Status st = db_->Exec("COMMIT");
    if (!st.ok()) {
      db_->Exec("ROLLBACK").IgnoreError();
      return st;
    }
  } else {
    db_->Exec("ROLLBACK").IgnoreError();
  }
  return out;
}

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_STORE_H_
