#include "absl/strings/str_cat.h"
#include "cloud_svc/store/sqlite_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

AlertRecord ReadAlert(const SqliteStatement& s) {
  AlertRecord a;
  a.alert_id = s.Text(0);
  a.tenant_id = s.Text(1);
  a.kind = static_cast<AlertKind>(s.Int(2));
  a.connector_id = s.Text(3);
  a.mapping_id = s.Text(4);
  a.raised_at = FromSqlTime(s.Int(5));
  if (!s.IsNull(6)) a.cleared_at = FromSqlTime(s.Int(6));
  a.message = s.Text(7);
  return a;
}

}  // namespace

absl::Status SqliteStore::RaiseAlert(const AlertRecord& a) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO alerts (alert_id, tenant_id, kind, connector_id, "
      "mapping_id, raised_at, message) "
      "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE NOT EXISTS ("
      "  SELECT 1 FROM alerts WHERE tenant_id = ?2 AND kind = ?3 AND "
      "  connector_id = ?4 AND mapping_id = ?5 AND cleared_at IS NULL)"));
  s->Bind(1, a.alert_id).Bind(2, a.tenant_id)
      .Bind(3, static_cast<int64_t>(a.kind)).Bind(4, a.connector_id)
      .Bind(5, a.mapping_id).Bind(6, SqlTime(a.raised_at)).Bind(7, a.message);
  return s->Run();
}

absl::Status SqliteStore::ClearAlerts(absl::string_view tenant_id, AlertKind kind,
                                      absl::string_view connector_id,
                                      absl::string_view mapping_id, absl::Time cleared_at) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE alerts SET cleared_at = ? WHERE tenant_id = ? AND kind = ? AND "
      "connector_id = ? AND mapping_id = ? AND cleared_at IS NULL"));
  s->Bind(1, SqlTime(cleared_at)).Bind(2, tenant_id)
      .Bind(3, static_cast<int64_t>(kind)).Bind(4, connector_id)
      .Bind(5, mapping_id);
  return s->Run();
}

absl::StatusOr<std::vector<AlertRecord>> SqliteStore::ListAlerts(absl::string_view tenant_id,
                                                                 bool active_only) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT alert_id, tenant_id, kind, connector_id, mapping_id, raised_at, "
      "cleared_at, message FROM alerts WHERE tenant_id = ?",
      active_only ? " AND cleared_at IS NULL" : "",
      " ORDER BY raised_at DESC, rowid DESC")));
  s->Bind(1, tenant_id);
  return ReadAll<AlertRecord>(*s, ReadAlert);
}

absl::StatusOr<std::vector<AlertRecord>> SqliteStore::ListAlertsPage(absl::string_view tenant_id,
                                                                     bool active_only,
                                                                     const AlertRecord* after,
                                                                     int limit) {
  if (limit < 1) return absl::InvalidArgumentError("ListAlertsPage: limit must be at least 1");
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT alert_id, tenant_id, kind, connector_id, mapping_id, raised_at, "
      "cleared_at, message FROM alerts WHERE tenant_id = ?1",
      active_only ? " AND cleared_at IS NULL" : "",
      after ? " AND (raised_at < ?2 OR (raised_at = ?2 AND alert_id < ?3))" : "",
      " ORDER BY raised_at DESC, alert_id DESC LIMIT ?4")));
  s->Bind(1, tenant_id);
  if (after) {
    s->Bind(2, SqlTime(after->raised_at));
    s->Bind(3, after->alert_id);
  }
  s->Bind(4, static_cast<int64_t>(limit));
  return ReadAll<AlertRecord>(*s, ReadAlert);
}

}  // namespace dirbridge::cloud
