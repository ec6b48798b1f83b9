#ifndef DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_POSTGRES_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_POSTGRES_STORE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloud_svc/store/postgres/pg_conn.h"
#include "cloud_svc/store/postgres/pg_pool.h"
#include "cloud_svc/store/store.h"

namespace dirbridge::cloud {

class PgListener;

struct PostgresOptions {
  // A libpq URI, postgresql://USER@HOST:PORT/DB, without a password.
  std::string uri;
  // The role's password (from --store_password_file); empty: libpq looks
  // in PGPASSFILE or ~/.pgpass. Held in memory only, never logged.
  std::string password;
  // Connections at most; a caller beyond waits up to checkout_timeout for
  // one, then gets UNAVAILABLE.
  int pool_size = 8;
  absl::Duration checkout_timeout = absl::Seconds(5);
  // libpq's connect_timeout (whole seconds, at least 2).
  absl::Duration connect_timeout = absl::Seconds(5);
  // The longest one statement waits for its answer; then UNAVAILABLE, and
  // the connection is replaced (a hung server or a vanished host).
  absl::Duration query_timeout = absl::Seconds(60);
};

// The Store of N replicas: PostgreSQL 15 through Debian's libpq, passing
// the same conformance suite as SqliteStore. Every statement binds its
// values ($1 …); none is built from input. Whatever many replicas could do
// at once is settled by the database: redeems are DELETE … RETURNING under
// row locks, a standing alert is a unique partial index with ON CONFLICT
// DO NOTHING, ClaimRun a compare-and-set UPDATE. An import chunk is one
// transaction of three statements whatever its size (read the known users
// FOR UPDATE, one multi-row INSERT and one multi-row UPDATE from unnest).
// While the server is down every call answers UNAVAILABLE; once it is back
// calls work again, without a restart. Times are stored as Unix
// microseconds, as SQLite keeps them. The code is split by concern:
// pg_<part>.cc for each Store part, pg_schema.cc for the migrations.
class PostgresStore : public Store {
 public:
  // Connects and brings the schema up to date (numbered migrations under an
  // advisory lock, so replicas starting at once do not race).
  // INVALID_ARGUMENT for a URI that is not postgresql:// or carries a
  // password; UNAVAILABLE when the server cannot be reached;
  // FAILED_PRECONDITION when the schema is newer than this build's.
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(const PostgresOptions& options);
  ~PostgresStore() override;

  // TenantStore and ConnectorStore (pg_connectors.cc).
  absl::Status CreateTenant(const TenantRecord& tenant, absl::string_view token_hash) override;
  absl::StatusOr<TenantRecord> TenantByTokenHash(absl::string_view token_hash) override;
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

  // The quota counts (pg_keys.cc).
  absl::StatusOr<uint64_t> CountConnectors(absl::string_view tenant_id) override;
  absl::StatusOr<uint64_t> CountMappings(absl::string_view tenant_id) override;
  absl::StatusOr<uint64_t> CountLiveDeploymentTokens(absl::string_view tenant_id,
                                                     absl::Time now) override;
  absl::StatusOr<uint64_t> CountDevices(absl::string_view tenant_id) override;

  // MappingStore (pg_mappings.cc).
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

  // UserStore (pg_users.cc).
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

  // EkeyStore and DeploymentStore (pg_keys.cc).
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

  // AlertStore and AuditStore (pg_alerts.cc).
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

  // PresenceStore (pg_presence.cc). PutSession, DropSession and the
  // replica removals NOTIFY every replica (kSessionsChannel, the tenant id
  // as payload); WatchSessions LISTENs on a connection of its own.
  static constexpr char kSessionsChannel[] = "dirbridge_sessions";
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
  using Keywords = std::vector<std::pair<std::string, std::string>>;
  PostgresStore(Keywords keywords, const PostgresOptions& options);

  // One statement on a pooled connection.
  absl::StatusOr<pg::Result> Exec(absl::string_view sql, const pg::Params& params = pg::Params());
  // One statement that must touch a row: NOT_FOUND (naming `what`) if none.
  absl::Status UpdateOne(absl::string_view sql, const pg::Params& params, absl::string_view what);
  // Runs `body` in one transaction on one connection; rolls back when it
  // fails, commits when it succeeds.
  template <typename T>
  absl::StatusOr<T> InTransaction(const std::function<absl::StatusOr<T>(pg::Connection&)>& body);

  const Keywords keywords_;  // what every connection, the listener's too, opens with
  pg::Pool pool_;
  std::unique_ptr<PgListener> listener_;
};

template <typename T>
absl::StatusOr<T> PostgresStore::InTransaction(
    const std::function<absl::StatusOr<T>(pg::Connection&)>& body) {
  absl::StatusOr<pg::Pool::Lease> conn = pool_.Checkout();
  if (!conn.ok()) return conn.status();
  if (absl::Status st = (*conn)->ExecScript("BEGIN"); !st.ok()) return st;
  absl::StatusOr<T> out = body(**conn);
  if (!out.ok()) {
    (*conn)->ExecScript("ROLLBACK").IgnoreError();
    return out;
  }
  if (absl::Status st = (*conn)->ExecScript("COMMIT"); !st.ok()) return st;
  return out;
}

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_POSTGRES_STORE_H_
