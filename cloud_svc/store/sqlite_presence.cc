// SqliteStore: which replica holds which connector's stream. With SQLite
// there is one replica, but the rows are kept as PostgreSQL keeps them so
// that the same code and the same suite serve both.

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/sqlite_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

constexpr char kSessionColumns[] = "s.replica_id, s.tenant_id, s.connector_id, s.since";

ReplicaRecord ReadReplica(const SqliteStatement& s) {
  return ReplicaRecord{s.Text(0), s.Text(1), FromSqlTime(s.Int(2))};
}

// The replicas whose last_seen compares to `alive_after` as `where` says
// (one of two fixed conditions), by replica id.
absl::StatusOr<std::vector<ReplicaRecord>> Replicas(SqliteDb& db, const char* where,
                                                    absl::Time alive_after) {
  ASSIGN_OR_RETURN(auto s, db.Prepare(absl::StrCat(
      "SELECT replica_id, peer_addr, last_seen FROM replicas WHERE ", where,
      " ORDER BY replica_id")));
  s->Bind(1, SqlTime(alive_after));
  return ReadAll<ReplicaRecord>(*s, ReadReplica);
}

HeldSession ReadSession(const SqliteStatement& s) {
  return HeldSession{s.Text(0), s.Text(1), s.Text(2), FromSqlTime(s.Int(3))};
}

}  // namespace

absl::Status SqliteStore::Heartbeat(absl::string_view replica_id, absl::string_view peer_addr,
                                    absl::Time now) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO replicas (replica_id, peer_addr, last_seen) VALUES (?, ?, ?) "
      "ON CONFLICT (replica_id) DO UPDATE SET peer_addr = excluded.peer_addr, "
      "last_seen = excluded.last_seen"));
  s->Bind(1, replica_id).Bind(2, peer_addr).Bind(3, SqlTime(now));
  return s->Run();
}

absl::StatusOr<std::vector<ReplicaRecord>> SqliteStore::LiveReplicas(absl::Time alive_after) {
  absl::MutexLock lock(&mu_);
  return Replicas(*db_, "last_seen > ?", alive_after);
}

absl::Status SqliteStore::RemoveReplica(absl::string_view replica_id) {
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(InTransaction<bool>([&]() -> absl::StatusOr<bool> {
      for (const char* sql : {"DELETE FROM sessions WHERE replica_id = ?",
                              "DELETE FROM replicas WHERE replica_id = ?"}) {
        ASSIGN_OR_RETURN(auto s, db_->Prepare(sql));
        s->Bind(1, replica_id);
        RETURN_IF_ERROR(s->Run());
      }
      return true;
    }).status());
  }
  notifier_.Notify("");
  return absl::OkStatus();
}

absl::Status SqliteStore::PutSession(const HeldSession& session) {
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(auto s, db_->Prepare(
        "INSERT INTO sessions (replica_id, connector_id, tenant_id, since) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (replica_id, connector_id) DO UPDATE SET tenant_id = excluded.tenant_id, "
        "since = excluded.since"));
    s->Bind(1, session.replica_id).Bind(2, session.connector_id).Bind(3, session.tenant_id)
        .Bind(4, SqlTime(session.since));
    absl::Status st = s->Run();
    if (absl::IsFailedPrecondition(st)) {  // the foreign key: no replica row
      return absl::FailedPreconditionError(absl::StrCat(
          "store: replica \"", session.replica_id, "\" has no row: heartbeat first"));
    }
    RETURN_IF_ERROR(st);
  }
  notifier_.Notify(session.tenant_id);
  return absl::OkStatus();
}

absl::Status SqliteStore::DropSession(absl::string_view replica_id,
                                      absl::string_view connector_id) {
  std::string tenant_id;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(auto s, db_->Prepare(
        "DELETE FROM sessions WHERE replica_id = ? AND connector_id = ? RETURNING tenant_id"));
    s->Bind(1, replica_id).Bind(2, connector_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return absl::OkStatus();
    tenant_id = s->Text(0);
    RETURN_IF_ERROR(s->Run());  // to the end, so the delete is done
  }
  notifier_.Notify(tenant_id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<HeldSession>> SqliteStore::TenantSessions(absl::string_view tenant_id,
                                                                     absl::Time alive_after) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT ", kSessionColumns, " FROM sessions s JOIN replicas r USING (replica_id) "
      "WHERE s.tenant_id = ? AND r.last_seen > ? ORDER BY s.connector_id, s.replica_id")));
  s->Bind(1, tenant_id).Bind(2, SqlTime(alive_after));
  return ReadAll<HeldSession>(*s, ReadSession);
}

absl::StatusOr<std::vector<ReplicaRecord>> SqliteStore::DeadReplicas(absl::Time alive_after) {
  absl::MutexLock lock(&mu_);
  return Replicas(*db_, "last_seen <= ?", alive_after);
}

absl::StatusOr<std::vector<HeldSession>> SqliteStore::ReapReplica(absl::string_view replica_id,
                                                                  absl::Time alive_after) {
  bool reaped = false;
  std::vector<HeldSession> out;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(out, InTransaction<std::vector<HeldSession>>(
        [&]() -> absl::StatusOr<std::vector<HeldSession>> {
          ASSIGN_OR_RETURN(auto dead, db_->Prepare(
              "SELECT 1 FROM replicas WHERE replica_id = ? AND last_seen <= ?"));
          dead->Bind(1, replica_id).Bind(2, SqlTime(alive_after));
          ASSIGN_OR_RETURN(reaped, dead->Step());
          if (!reaped) return std::vector<HeldSession>{};  // alive again, or reaped already
          ASSIGN_OR_RETURN(auto held, db_->Prepare(absl::StrCat(
              "SELECT ", kSessionColumns, " FROM sessions s WHERE s.replica_id = ? "
              "ORDER BY s.connector_id")));
          held->Bind(1, replica_id);
          ASSIGN_OR_RETURN(std::vector<HeldSession> sessions,
                           ReadAll<HeldSession>(*held, ReadSession));
          // The sessions first: their foreign key holds the replica's row.
          for (const char* sql : {"DELETE FROM sessions WHERE replica_id = ?",
                                  "DELETE FROM replicas WHERE replica_id = ?"}) {
            ASSIGN_OR_RETURN(auto d, db_->Prepare(sql));
            d->Bind(1, replica_id);
            RETURN_IF_ERROR(d->Run());
          }
          return sessions;
        }));
  }
  if (reaped) notifier_.Notify("");
  return out;
}

void SqliteStore::WatchSessions(std::function<void(const std::string& tenant_id)> on_change) {
  notifier_.Watch(std::move(on_change));
}

}  // namespace dirbridge::cloud
