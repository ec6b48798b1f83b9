#include "cloud_svc/store/sqlite_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {

absl::Status SqliteStore::CreateTenant(const TenantRecord& tenant, absl::string_view token_hash) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO tenants (tenant_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)"));
  s->Bind(1, tenant.tenant_id).Bind(2, tenant.name).Bind(3, token_hash)
      .Bind(4, SqlTime(tenant.created_at));
  return s->Run();
}

absl::StatusOr<TenantRecord> SqliteStore::TenantByTokenHash(absl::string_view token_hash) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT tenant_id, name, created_at FROM tenants WHERE token_hash = ?"));
  s->Bind(1, token_hash);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return absl::NotFoundError("store: no tenant for that token");
  return TenantRecord{s->Text(0), s->Text(1), FromSqlTime(s->Int(2))};
}

}  // namespace dirbridge::cloud
