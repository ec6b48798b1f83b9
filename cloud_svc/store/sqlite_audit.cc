#include "absl/strings/str_cat.h"
#include "cloud_svc/store/sqlite_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {

absl::Status SqliteStore::AppendAudit(const AuditRecord& r) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO audit (tenant_id, at, actor, action, object_id, detail) "
      "VALUES (?, ?, ?, ?, ?, ?)"));
  s->Bind(1, r.tenant_id).Bind(2, SqlTime(r.at)).Bind(3, r.actor).Bind(4, r.action)
      .Bind(5, r.object_id).Bind(6, r.detail);
  return s->Run();
}

absl::StatusOr<std::vector<AuditRecord>> SqliteStore::ListAudit(absl::string_view tenant_id,
                                                                int limit) {
  if (limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat("store: ListAudit limit ", limit, " is < 1"));
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT tenant_id, at, actor, action, object_id, detail FROM audit WHERE tenant_id = ? "
      "ORDER BY at DESC, audit_id DESC LIMIT ?"));
  s->Bind(1, tenant_id).Bind(2, int64_t{limit});
  return ReadAll<AuditRecord>(*s, [](const SqliteStatement& row) {
    return AuditRecord{row.Text(0), FromSqlTime(row.Int(1)), row.Text(2),
                       row.Text(3), row.Text(4),             row.Text(5)};
  });
}

}  // namespace dirbridge::cloud
