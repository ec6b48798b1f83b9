// PostgresStore: alerts and the audit log.

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/postgres/postgres_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

constexpr char kAlertColumns[] =
    "alert_id, tenant_id, kind, connector_id, mapping_id, raised_at, cleared_at, message";

std::vector<AlertRecord> ReadAlerts(const pg::Result& r) {
  std::vector<AlertRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    AlertRecord a;
    a.alert_id = r.Text(i, 0);
    a.tenant_id = r.Text(i, 1);
    a.kind = static_cast<AlertKind>(r.Int(i, 2));
    a.connector_id = r.Text(i, 3);
    a.mapping_id = r.Text(i, 4);
    a.raised_at = r.Time(i, 5);
    if (!r.IsNull(i, 6)) a.cleared_at = r.Time(i, 6);
    a.message = r.Text(i, 7);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

absl::Status PostgresStore::RaiseAlert(const AlertRecord& a) {
  // Replicas that see one event at once each raise it; the unique partial
  // index keeps one standing, and the others' inserts do nothing.
  return Exec("INSERT INTO alerts (alert_id, tenant_id, kind, connector_id, mapping_id, "
              "raised_at, message) VALUES ($1, $2, $3, $4, $5, $6, $7) "
              "ON CONFLICT (tenant_id, kind, connector_id, mapping_id) WHERE cleared_at IS NULL "
              "DO NOTHING",
              pg::Params().Text(a.alert_id).Text(a.tenant_id).Int(static_cast<int64_t>(a.kind))
                  .Text(a.connector_id).Text(a.mapping_id).Time(a.raised_at).Text(a.message))
      .status();
}

absl::Status PostgresStore::ClearAlerts(absl::string_view tenant_id, AlertKind kind,
                                        absl::string_view connector_id,
                                        absl::string_view mapping_id, absl::Time cleared_at) {
  return Exec("UPDATE alerts SET cleared_at = $1 WHERE tenant_id = $2 AND kind = $3 AND "
              "connector_id = $4 AND mapping_id = $5 AND cleared_at IS NULL",
              pg::Params().Time(cleared_at).Text(tenant_id).Int(static_cast<int64_t>(kind))
                  .Text(connector_id).Text(mapping_id))
      .status();
}

absl::StatusOr<std::vector<AlertRecord>> PostgresStore::ListAlerts(absl::string_view tenant_id,
                                                                   bool active_only) {
  // The later raised first; of one instant, the later inserted (seq).
  ASSIGN_OR_RETURN(pg::Result r, Exec(absl::StrCat(
      "SELECT ", kAlertColumns, " FROM alerts WHERE tenant_id = $1",
      active_only ? " AND cleared_at IS NULL" : "", " ORDER BY raised_at DESC, seq DESC"),
      pg::Params().Text(tenant_id)));
  return ReadAlerts(r);
}

absl::StatusOr<std::vector<AlertRecord>> PostgresStore::ListAlertsPage(absl::string_view tenant_id,
                                                                       bool active_only,
                                                                       const AlertRecord* after,
                                                                       int limit) {
  if (limit < 1) return absl::InvalidArgumentError("ListAlertsPage: limit must be at least 1");
  pg::Params p = pg::Params().Text(tenant_id).Int(limit);
  if (after != nullptr) p.Time(after->raised_at).Text(after->alert_id);
  // The SQL is one of four fixed texts; the values are all bound.
  ASSIGN_OR_RETURN(pg::Result r, Exec(absl::StrCat(
      "SELECT ", kAlertColumns, " FROM alerts WHERE tenant_id = $1",
      active_only ? " AND cleared_at IS NULL" : "",
      after != nullptr ? " AND (raised_at < $3 OR (raised_at = $3 AND alert_id < $4))" : "",
      " ORDER BY raised_at DESC, alert_id DESC LIMIT $2"), p));
  return ReadAlerts(r);
}

absl::Status PostgresStore::AppendAudit(const AuditRecord& a) {
  return Exec("INSERT INTO audit (tenant_id, at, actor, action, object_id, detail) "
              "VALUES ($1, $2, $3, $4, $5, $6)",
              pg::Params().Text(a.tenant_id).Time(a.at).Text(a.actor).Text(a.action)
                  .Text(a.object_id).Text(a.detail))
      .status();
}

absl::StatusOr<std::vector<AuditRecord>> PostgresStore::ListAudit(absl::string_view tenant_id,
                                                                  int limit) {
  if (limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat("store: ListAudit limit ", limit, " is < 1"));
  }
  ASSIGN_OR_RETURN(pg::Result r, Exec(
      "SELECT tenant_id, at, actor, action, object_id, detail FROM audit WHERE tenant_id = $1 "
      "ORDER BY at DESC, audit_id DESC LIMIT $2",
      pg::Params().Text(tenant_id).Int(limit)));
  std::vector<AuditRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(AuditRecord{r.Text(i, 0), r.Time(i, 1), r.Text(i, 2), r.Text(i, 3),
                              r.Text(i, 4), r.Text(i, 5)});
  }
  return out;
}

}  // namespace dirbridge::cloud
