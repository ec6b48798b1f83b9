#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/sqlite_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

constexpr char kEkeyColumns[] = "tenant_id, user_id, key_id, wrapped, kek_version, created_at";

EkeyRecord ReadEkey(const SqliteStatement& s) {
  EkeyRecord e;
  e.tenant_id = s.Text(0);
  e.user_id = s.Text(1);
  e.key_id = s.Text(2);
  e.wrapped = s.Text(3);
  e.kek_version = static_cast<uint32_t>(s.Int(4));
  e.created_at = FromSqlTime(s.Int(5));
  return e;
}

}  // namespace

absl::StatusOr<EkeyRecord> SqliteStore::CurrentEkeyLocked(absl::string_view tenant_id,
                                                          absl::string_view user_id) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT ", kEkeyColumns, " FROM ekeys WHERE tenant_id = ? AND user_id = ? AND current = 1")));
  s->Bind(1, tenant_id).Bind(2, user_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return absl::NotFoundError(absl::StrCat("user \"", user_id, "\" has no ekey"));
  return ReadEkey(*s);
}

absl::StatusOr<EkeyRecord> SqliteStore::CurrentEkey(absl::string_view tenant_id,
                                                    absl::string_view user_id) {
  absl::MutexLock lock(&mu_);
  return CurrentEkeyLocked(tenant_id, user_id);
}

absl::StatusOr<EkeyRecord> SqliteStore::PutEkey(const EkeyRecord& e, bool replace) {
  absl::MutexLock lock(&mu_);
  return InTransaction<EkeyRecord>([&]() -> absl::StatusOr<EkeyRecord> {
    absl::StatusOr<EkeyRecord> existing = CurrentEkeyLocked(e.tenant_id, e.user_id);
    if (existing.ok() && !replace) return existing;
    if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
    if (existing.ok()) {
      ASSIGN_OR_RETURN(auto old, db_->Prepare(
          "UPDATE ekeys SET current = 0 WHERE tenant_id = ? AND user_id = ? AND current = 1"));
      old->Bind(1, e.tenant_id).Bind(2, e.user_id);
      RETURN_IF_ERROR(old->Run());
    }
    ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
        "INSERT INTO ekeys (", kEkeyColumns, ", current) VALUES (?, ?, ?, ?, ?, ?, 1)")));
    s->Bind(1, e.tenant_id).Bind(2, e.user_id).Bind(3, e.key_id).BindBlob(4, e.wrapped)
        .Bind(5, static_cast<int64_t>(e.kek_version)).Bind(6, SqlTime(e.created_at));
    RETURN_IF_ERROR(s->Run());
    return e;
  });
}

absl::StatusOr<std::vector<EkeyRecord>> SqliteStore::CurrentEkeys(
    absl::string_view tenant_id, const std::vector<std::string>& user_ids) {
  // Each user once, also across batches.
  const std::set<std::string> unique(user_ids.begin(), user_ids.end());
  const std::vector<std::string> ids(unique.begin(), unique.end());
  absl::MutexLock lock(&mu_);
  std::vector<EkeyRecord> out;
  out.reserve(ids.size());
  constexpr size_t kBatch = 500;  // well under SQLite's bound-variable limit
  for (size_t i = 0; i < ids.size(); i += kBatch) {
    size_t n = std::min(kBatch, ids.size() - i);
    std::string marks;
    for (size_t k = 0; k < n; ++k) absl::StrAppend(&marks, k ? ",?" : "?");
    ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
        "SELECT ", kEkeyColumns, " FROM ekeys WHERE tenant_id = ? AND current = 1 AND user_id IN (",
        marks, ")")));
    s->Bind(1, tenant_id);
    for (size_t k = 0; k < n; ++k) s->Bind(static_cast<int>(k + 2), ids[i + k]);
    ASSIGN_OR_RETURN(std::vector<EkeyRecord> batch, ReadAll<EkeyRecord>(*s, ReadEkey));
    for (EkeyRecord& e : batch) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace dirbridge::cloud
