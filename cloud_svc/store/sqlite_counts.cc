// SqliteStore: what the per-tenant quotas count. Each is one indexed query
// (migration 6), so a quota check costs the same however many tenants and
// rows the store holds.

#include <optional>

#include "cloud_svc/store/sqlite_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

absl::StatusOr<uint64_t> CountOf(SqliteDb& db, absl::string_view sql, absl::string_view tenant_id,
                                 std::optional<int64_t> second = std::nullopt) {
  ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
  s->Bind(1, tenant_id);
  if (second) s->Bind(2, *second);
  ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? static_cast<uint64_t>(s->Int(0)) : 0;
}

}  // namespace

absl::StatusOr<uint64_t> SqliteStore::CountConnectors(absl::string_view tenant_id) {
  absl::MutexLock lock(&mu_);
  return CountOf(*db_, "SELECT COUNT(*) FROM connectors WHERE tenant_id = ? AND deleted = 0",
                 tenant_id);
}

absl::StatusOr<uint64_t> SqliteStore::CountMappings(absl::string_view tenant_id) {
  absl::MutexLock lock(&mu_);
  return CountOf(*db_, "SELECT COUNT(*) FROM mappings WHERE tenant_id = ?", tenant_id);
}

absl::StatusOr<uint64_t> SqliteStore::CountLiveDeploymentTokens(absl::string_view tenant_id,
                                                                absl::Time now) {
  absl::MutexLock lock(&mu_);
  return CountOf(*db_,
                 "SELECT COUNT(*) FROM deployment_tokens WHERE tenant_id = ? AND expires_at > ?",
                 tenant_id, SqlTime(now));
}

absl::StatusOr<uint64_t> SqliteStore::CountDevices(absl::string_view tenant_id) {
  absl::MutexLock lock(&mu_);
  return CountOf(*db_, "SELECT devices FROM device_counts WHERE tenant_id = ?", tenant_id);
}

}  // namespace dirbridge::cloud
