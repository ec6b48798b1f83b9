// PostgresStore: which replica holds which connector's stream. Every change
// a replica's cache must hear of NOTIFYs in the same statement or
// transaction, so the notice goes out exactly when the change commits.

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/postgres/pg_listener.h"
#include "cloud_svc/store/postgres/postgres_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

constexpr char kReplicasWhere[] = "SELECT replica_id, peer_addr, last_seen FROM replicas WHERE ";

absl::StatusOr<std::vector<ReplicaRecord>> ReadReplicas(absl::StatusOr<pg::Result> r) {
  if (!r.ok()) return r.status();
  std::vector<ReplicaRecord> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back({r->Text(i, 0), r->Text(i, 1), r->Time(i, 2)});
  return out;
}

std::vector<HeldSession> ReadSessions(const pg::Result& r) {
  std::vector<HeldSession> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Time(i, 3)});
  }
  return out;
}

// "Every tenant": what a replica's removal tells the others.
absl::Status NotifyAll(pg::Connection& c) {
  return c.Exec("SELECT pg_notify($1, '')", pg::Params().Text(PostgresStore::kSessionsChannel))
      .status();
}

}  // namespace

absl::Status PostgresStore::Heartbeat(absl::string_view replica_id, absl::string_view peer_addr,
                                      absl::Time now) {
  return Exec("INSERT INTO replicas (replica_id, peer_addr, last_seen) VALUES ($1, $2, $3) "
              "ON CONFLICT (replica_id) DO UPDATE SET peer_addr = EXCLUDED.peer_addr, "
              "last_seen = EXCLUDED.last_seen",
              pg::Params().Text(replica_id).Text(peer_addr).Time(now))
      .status();
}

absl::StatusOr<std::vector<ReplicaRecord>> PostgresStore::LiveReplicas(absl::Time alive_after) {
  return ReadReplicas(Exec(absl::StrCat(kReplicasWhere, "last_seen > $1 ORDER BY replica_id"),
                           pg::Params().Time(alive_after)));
}

absl::Status PostgresStore::RemoveReplica(absl::string_view replica_id) {
  return InTransaction<bool>([&](pg::Connection& c) -> absl::StatusOr<bool> {
           RETURN_IF_ERROR(c.Exec("DELETE FROM sessions WHERE replica_id = $1",
                                  pg::Params().Text(replica_id)).status());
           RETURN_IF_ERROR(c.Exec("DELETE FROM replicas WHERE replica_id = $1",
                                  pg::Params().Text(replica_id)).status());
           RETURN_IF_ERROR(NotifyAll(c));
           return true;
         })
      .status();
}

absl::Status PostgresStore::PutSession(const HeldSession& s) {
  absl::StatusOr<pg::Result> r = Exec(
      "WITH put AS (INSERT INTO sessions (replica_id, connector_id, tenant_id, since) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (replica_id, connector_id) DO UPDATE SET "
      "tenant_id = EXCLUDED.tenant_id, since = EXCLUDED.since RETURNING tenant_id) "
      "SELECT pg_notify($5, tenant_id) FROM put",
      pg::Params().Text(s.replica_id).Text(s.connector_id).Text(s.tenant_id).Time(s.since)
          .Text(kSessionsChannel));
  if (absl::IsFailedPrecondition(r.status())) {  // the foreign key: no replica row
    return absl::FailedPreconditionError(absl::StrCat(
        "store: replica \"", s.replica_id, "\" has no row: heartbeat first"));
  }
  return r.status();
}

absl::Status PostgresStore::DropSession(absl::string_view replica_id,
                                        absl::string_view connector_id) {
  return Exec("WITH gone AS (DELETE FROM sessions WHERE replica_id = $1 AND connector_id = $2 "
              "RETURNING tenant_id) SELECT pg_notify($3, tenant_id) FROM gone",
              pg::Params().Text(replica_id).Text(connector_id).Text(kSessionsChannel))
      .status();
}

absl::StatusOr<std::vector<HeldSession>> PostgresStore::TenantSessions(
    absl::string_view tenant_id, absl::Time alive_after) {
  ASSIGN_OR_RETURN(pg::Result r, Exec(
      "SELECT s.replica_id, s.tenant_id, s.connector_id, s.since FROM sessions s "
      "JOIN replicas r ON r.replica_id = s.replica_id "
      "WHERE s.tenant_id = $1 AND r.last_seen > $2 ORDER BY s.connector_id, s.replica_id",
      pg::Params().Text(tenant_id).Time(alive_after)));
  return ReadSessions(r);
}

absl::StatusOr<std::vector<ReplicaRecord>> PostgresStore::DeadReplicas(absl::Time alive_after) {
  return ReadReplicas(Exec(absl::StrCat(kReplicasWhere, "last_seen <= $1 ORDER BY replica_id"),
                           pg::Params().Time(alive_after)));
}

absl::StatusOr<std::vector<HeldSession>> PostgresStore::ReapReplica(absl::string_view replica_id,
                                                                    absl::Time alive_after) {
  using Held = std::vector<HeldSession>;
  return InTransaction<Held>([&](pg::Connection& c) -> absl::StatusOr<Held> {
    // The row lock decides: of concurrent reaps the first deletes the row,
    // the others wait and then find nothing; a heartbeat that got in first
    // makes the row alive again, and READ COMMITTED re-checks it.
    ASSIGN_OR_RETURN(pg::Result dead, c.Exec(
        "SELECT 1 FROM replicas WHERE replica_id = $1 AND last_seen <= $2 FOR UPDATE",
        pg::Params().Text(replica_id).Time(alive_after)));
    if (dead.rows() == 0) return Held();
    ASSIGN_OR_RETURN(pg::Result held, c.Exec(
        "DELETE FROM sessions WHERE replica_id = $1 "
        "RETURNING replica_id, tenant_id, connector_id, since",
        pg::Params().Text(replica_id)));
    RETURN_IF_ERROR(c.Exec("DELETE FROM replicas WHERE replica_id = $1",
                           pg::Params().Text(replica_id)).status());
    RETURN_IF_ERROR(NotifyAll(c));
    return ReadSessions(held);
  });
}

void PostgresStore::WatchSessions(std::function<void(const std::string& tenant_id)> on_change) {
  if (listener_ != nullptr) return;  // once, as the contract says
  listener_ = std::make_unique<PgListener>(keywords_, kSessionsChannel, std::move(on_change));
}

}  // namespace dirbridge::cloud
