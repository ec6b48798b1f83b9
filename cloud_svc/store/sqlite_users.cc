#include <cstdint>

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/lines.h"
#include "cloud_svc/store/sqlite_rows.h"
#include "cloud_svc/store/sqlite_store.h"
#include "cloud_svc/store/user_columns.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

using sqlite_rows::ReadUser;

bool SameDirectoryFields(const UserRecord& a, const UserRecord& b) {
  return a.dn == b.dn && a.username == b.username &&
         a.user_principal_name == b.user_principal_name && a.email == b.email &&
         a.display_name == b.display_name && a.groups == b.groups && a.disabled == b.disabled;
}

}  // namespace

absl::StatusOr<std::optional<UserRecord>> SqliteStore::UserByDirectoryId(
    absl::string_view tenant_id, absl::string_view directory_id) {
  ASSIGN_OR_RETURN(SqliteStatement* s, db_->Cached(absl::StrCat(
      "SELECT ", kUserColumns, " FROM users WHERE tenant_id = ? AND directory_id = ?")));
  s->Bind(1, tenant_id).Bind(2, directory_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  std::optional<UserRecord> out;
  if (row) out = ReadUser(*s);
  s->Reset();  // a cached read left open would pin its snapshot
  return out;
}

absl::Status SqliteStore::InsertUser(const UserRecord& u, absl::string_view run_id) {
  // A user who is there already is left alone (Changes() says 0): the
  // caller then updates. One statement for the common case of a new user.
  static const std::string kInsert = absl::StrCat(
      "INSERT INTO users (", kUserColumns, ", last_seen_run) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT (tenant_id, directory_id) DO NOTHING");
  ASSIGN_OR_RETURN(SqliteStatement* s, db_->Cached(kInsert));
  s->Bind(1, u.tenant_id).Bind(2, u.user_id).Bind(3, u.mapping_id).Bind(4, u.directory_id)
      .Bind(5, u.dn).Bind(6, u.username).Bind(7, u.user_principal_name).Bind(8, u.email)
      .Bind(9, u.display_name).Bind(10, JoinLines(u.groups)).Bind(11, int64_t{u.disabled})
      .Bind(12, static_cast<int64_t>(u.state)).Bind(13, SqlTime(u.imported_at)).Bind(14, run_id);
  return s->Run();
}

absl::StatusOr<UpsertCounts> SqliteStore::UpsertUsers(const MappingRecord& mapping,
                                                      absl::string_view run_id,
                                                      const std::vector<UserRecord>& users) {
  for (const UserRecord& u : users) {
    if (u.tenant_id != mapping.tenant_id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "store: user \"", u.directory_id, "\" is not of mapping \"", mapping.mapping_id,
          "\"'s tenant"));
    }
  }
  absl::MutexLock lock(&mu_);
  return InTransaction<UpsertCounts>([&]() -> absl::StatusOr<UpsertCounts> {
    UpsertCounts counts;
    for (const UserRecord& u : users) {
      UserRecord fresh = u;
      fresh.user_id = NewId();
      fresh.mapping_id = mapping.mapping_id;
      fresh.state = UserState::kActive;
      RETURN_IF_ERROR(InsertUser(fresh, run_id));
      if (db_->Changes() == 1) {
        ++counts.added;
        continue;
      }
      ASSIGN_OR_RETURN(std::optional<UserRecord> old, UserByDirectoryId(u.tenant_id, u.directory_id));
      if (!old) return absl::InternalError("store: a user vanished inside its transaction");
      // A user owned by an older (lower priority) mapping stays with it.
      std::string owner = old->mapping_id;
      if (owner != mapping.mapping_id) {
        ASSIGN_OR_RETURN(SqliteStatement* q, db_->Cached(
            "SELECT priority FROM mappings WHERE tenant_id = ? AND mapping_id = ?"));
        q->Bind(1, u.tenant_id).Bind(2, owner);
        ASSIGN_OR_RETURN(bool row, q->Step());
        int priority = row ? static_cast<int>(q->Int(0)) : INT32_MAX;
        q->Reset();
        if (priority < mapping.priority) {
          ++counts.unchanged;
          continue;
        }
        owner = mapping.mapping_id;
      }
      bool same = SameDirectoryFields(*old, u) && old->mapping_id == owner;
      ASSIGN_OR_RETURN(SqliteStatement* s, db_->Cached(
          "UPDATE users SET mapping_id = ?, dn = ?, username = ?, user_principal_name = ?, "
          "email = ?, display_name = ?, groups = ?, disabled = ?, last_seen_run = ?, "
          "imported_at = CASE WHEN ? THEN imported_at ELSE ? END "
          "WHERE tenant_id = ? AND directory_id = ?"));
      s->Bind(1, owner).Bind(2, u.dn).Bind(3, u.username).Bind(4, u.user_principal_name)
          .Bind(5, u.email).Bind(6, u.display_name).Bind(7, JoinLines(u.groups))
          .Bind(8, int64_t{u.disabled}).Bind(9, run_id).Bind(10, int64_t{same})
          .Bind(11, SqlTime(u.imported_at)).Bind(12, u.tenant_id).Bind(13, u.directory_id);
      RETURN_IF_ERROR(s->Run());
      if (same) {
        ++counts.unchanged;
      } else {
        ++counts.updated;
      }
    }
    return counts;
  });
}

absl::StatusOr<uint64_t> SqliteStore::CountUnseen(const MappingRecord& m, absl::string_view run_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT COUNT(*) FROM users WHERE tenant_id = ? AND mapping_id = ? AND state = 1 "
      "AND last_seen_run != ?"));
  s->Bind(1, m.tenant_id).Bind(2, m.mapping_id).Bind(3, run_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? static_cast<uint64_t>(s->Int(0)) : 0;
}

absl::StatusOr<uint64_t> SqliteStore::CountActive(const MappingRecord& m) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT COUNT(*) FROM users WHERE tenant_id = ? AND mapping_id = ? AND state = 1"));
  s->Bind(1, m.tenant_id).Bind(2, m.mapping_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? static_cast<uint64_t>(s->Int(0)) : 0;
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> SqliteStore::ApplyRun(const MappingRecord& m,
                                                                    absl::string_view run_id,
                                                                    absl::Time now) {
  absl::MutexLock lock(&mu_);
  using Result = std::pair<uint64_t, uint64_t>;
  return InTransaction<Result>([&]() -> absl::StatusOr<Result> {
    ASSIGN_OR_RETURN(auto mark, db_->Prepare(
        "UPDATE users SET state = 2, imported_at = ? WHERE tenant_id = ? AND mapping_id = ? "
        "AND state = 1 AND last_seen_run != ?"));
    mark->Bind(1, SqlTime(now)).Bind(2, m.tenant_id).Bind(3, m.mapping_id).Bind(4, run_id);
    RETURN_IF_ERROR(mark->Run());
    uint64_t marked = static_cast<uint64_t>(db_->Changes());
    ASSIGN_OR_RETURN(auto back, db_->Prepare(
        "UPDATE users SET state = 1, imported_at = ? WHERE tenant_id = ? AND mapping_id = ? "
        "AND state = 2 AND last_seen_run = ?"));
    back->Bind(1, SqlTime(now)).Bind(2, m.tenant_id).Bind(3, m.mapping_id).Bind(4, run_id);
    RETURN_IF_ERROR(back->Run());
    return Result{marked, static_cast<uint64_t>(db_->Changes())};
  });
}

absl::StatusOr<std::vector<UserRecord>> SqliteStore::ListUsers(absl::string_view tenant_id,
                                                               absl::string_view mapping_id,
                                                               absl::string_view after_user_id,
                                                               int limit) {
  if (limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat("store: ListUsers limit ", limit, " is < 1"));
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT ", kUserColumns, " FROM users WHERE tenant_id = ? AND mapping_id = ? "
      "AND user_id > ? ORDER BY user_id LIMIT ?")));
  s->Bind(1, tenant_id).Bind(2, mapping_id).Bind(3, after_user_id).Bind(4, int64_t{limit});
  return ReadAll<UserRecord>(*s, ReadUser);
}

}  // namespace dirbridge::cloud
