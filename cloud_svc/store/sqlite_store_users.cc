// SqliteStore: mappings, imported users, deployment tokens and devices.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloud_svc/store/sqlite_store.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

// Lists of DNs are stored one per line; a DN cannot hold a raw newline.
std::string JoinLines(const std::vector<std::string>& v) { return absl::StrJoin(v, "\n"); }
std::vector<std::string> SplitLines(const std::string& s) {
  return absl::StrSplit(s, '\n', absl::SkipEmpty());
}

constexpr char kMappingColumns[] =
    "tenant_id, mapping_id, name, base_dn, ou_dns, group_dns, sync_interval_s, priority, "
    "created_at, next_run_at, last_run_id, held_run_id, held_count, watermark, "
    "watermark_server, last_full_at";

MappingRecord ReadMapping(const SqliteStatement& s) {
  MappingRecord m;
  m.tenant_id = s.Text(0);
  m.mapping_id = s.Text(1);
  m.name = s.Text(2);
  m.base_dn = s.Text(3);
  m.ou_dns = SplitLines(s.Text(4));
  m.group_dns = SplitLines(s.Text(5));
  m.sync_interval = absl::Seconds(s.Int(6));
  m.priority = static_cast<int>(s.Int(7));
  m.created_at = FromSqlTime(s.Int(8));
  m.next_run_at = FromSqlTime(s.Int(9));
  m.last_run_id = s.Text(10);
  m.held_run_id = s.Text(11);
  m.held_count = static_cast<uint64_t>(s.Int(12));
  m.watermark = s.Text(13);
  m.watermark_server = s.Text(14);
  m.last_full_at = FromSqlTime(s.Int(15));
  return m;
}

constexpr char kUserColumns[] =
    "tenant_id, user_id, mapping_id, directory_id, dn, username, user_principal_name, email, "
    "display_name, groups, disabled, state, imported_at";

UserRecord ReadUser(const SqliteStatement& s) {
  UserRecord u;
  u.tenant_id = s.Text(0);
  u.user_id = s.Text(1);
  u.mapping_id = s.Text(2);
  u.directory_id = s.Text(3);
  u.dn = s.Text(4);
  u.username = s.Text(5);
  u.user_principal_name = s.Text(6);
  u.email = s.Text(7);
  u.display_name = s.Text(8);
  u.groups = SplitLines(s.Text(9));
  u.disabled = s.Int(10) != 0;
  u.state = static_cast<UserState>(s.Int(11));
  u.imported_at = FromSqlTime(s.Int(12));
  return u;
}

bool SameDirectoryFields(const UserRecord& a, const UserRecord& b) {
  return a.dn == b.dn && a.username == b.username &&
         a.user_principal_name == b.user_principal_name && a.email == b.email &&
         a.display_name == b.display_name && a.groups == b.groups && a.disabled == b.disabled;
}

}  // namespace

template <typename T>
absl::StatusOr<T> SqliteStore::InTransaction(const std::function<absl::StatusOr<T>()>& body) {
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  absl::StatusOr<T> out = body();
  if (out.ok()) {
    absl::Status st = db_->Exec("COMMIT");
    if (!st.ok()) {
      db_->Exec("ROLLBACK").IgnoreError();
      return st;
    }
  } else {
    db_->Exec("ROLLBACK").IgnoreError();
  }
  return out;
}

absl::StatusOr<MappingRecord> SqliteStore::CreateMapping(MappingRecord m) {
  absl::MutexLock lock(&mu_);
  return InTransaction<MappingRecord>([&]() -> absl::StatusOr<MappingRecord> {
    ASSIGN_OR_RETURN(auto p, db_->Prepare(
        "SELECT COALESCE(MAX(priority) + 1, 0) FROM mappings WHERE tenant_id = ?"));
    p->Bind(1, m.tenant_id);
    ASSIGN_OR_RETURN(bool row, p->Step());
    m.priority = row ? static_cast<int>(p->Int(0)) : 0;
    ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
        "INSERT INTO mappings (", kMappingColumns, ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")));
    s->Bind(1, m.tenant_id).Bind(2, m.mapping_id).Bind(3, m.name).Bind(4, m.base_dn)
        .Bind(5, JoinLines(m.ou_dns)).Bind(6, JoinLines(m.group_dns))
        .Bind(7, absl::ToInt64Seconds(m.sync_interval)).Bind(8, int64_t{m.priority})
        .Bind(9, SqlTime(m.created_at)).Bind(10, SqlTime(m.next_run_at))
        .Bind(11, m.last_run_id).Bind(12, m.held_run_id).Bind(13, static_cast<int64_t>(m.held_count))
        .Bind(14, m.watermark).Bind(15, m.watermark_server).Bind(16, SqlTime(m.last_full_at));
    RETURN_IF_ERROR(s->Run());
    return m;
  });
}

absl::StatusOr<MappingRecord> SqliteStore::GetMapping(absl::string_view tenant_id,
                                                      absl::string_view mapping_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT ", kMappingColumns, " FROM mappings WHERE tenant_id = ? AND mapping_id = ?")));
  s->Bind(1, tenant_id).Bind(2, mapping_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return absl::NotFoundError(absl::StrCat("mapping \"", mapping_id, "\" not found"));
  return ReadMapping(*s);
}

absl::StatusOr<std::vector<MappingRecord>> SqliteStore::ListMappings(absl::string_view tenant_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT ", kMappingColumns, " FROM mappings WHERE tenant_id = ? ORDER BY priority")));
  s->Bind(1, tenant_id);
  return ReadAll<MappingRecord>(*s, ReadMapping);
}

absl::StatusOr<std::vector<MappingRecord>> SqliteStore::DueMappings(absl::Time now) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT ", kMappingColumns, " FROM mappings WHERE next_run_at <= ? ORDER BY next_run_at")));
  s->Bind(1, SqlTime(now));
  return ReadAll<MappingRecord>(*s, ReadMapping);
}

absl::Status SqliteStore::SetMappingRun(const MappingRecord& m) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE mappings SET last_run_id = ?, held_run_id = ?, held_count = ?, watermark = ?, "
      "watermark_server = ?, last_full_at = ? WHERE tenant_id = ? AND mapping_id = ?"));
  s->Bind(1, m.last_run_id).Bind(2, m.held_run_id).Bind(3, static_cast<int64_t>(m.held_count))
      .Bind(4, m.watermark).Bind(5, m.watermark_server).Bind(6, SqlTime(m.last_full_at))
      .Bind(7, m.tenant_id).Bind(8, m.mapping_id);
  return s->Run();
}

absl::Status SqliteStore::SetNextRun(absl::string_view tenant_id, absl::string_view mapping_id,
                                     absl::Time next_run_at) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE mappings SET next_run_at = ? WHERE tenant_id = ? AND mapping_id = ?"));
  s->Bind(1, SqlTime(next_run_at)).Bind(2, tenant_id).Bind(3, mapping_id);
  return s->Run();
}

absl::StatusOr<std::optional<UserRecord>> SqliteStore::UserByDirectoryId(
    absl::string_view tenant_id, absl::string_view directory_id) {
  ASSIGN_OR_RETURN(SqliteStatement* s, db_->Cached(absl::StrCat(
      "SELECT ", kUserColumns, ", last_seen_run FROM users WHERE tenant_id = ? AND directory_id = ?")));
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
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT ", kUserColumns, " FROM users WHERE tenant_id = ? AND mapping_id = ? "
      "AND user_id > ? ORDER BY user_id LIMIT ?")));
  s->Bind(1, tenant_id).Bind(2, mapping_id).Bind(3, after_user_id).Bind(4, int64_t{limit});
  return ReadAll<UserRecord>(*s, ReadUser);
}

absl::Status SqliteStore::CreateDeploymentToken(absl::string_view token_hash,
                                                const DeploymentToken& t) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO deployment_tokens (token_hash, tenant_id, mapping_id, expires_at) "
      "VALUES (?, ?, ?, ?)"));
  s->Bind(1, token_hash).Bind(2, t.tenant_id).Bind(3, t.mapping_id).Bind(4, SqlTime(t.expires_at));
  return s->Run();
}

absl::StatusOr<DeploymentToken> SqliteStore::GetDeploymentToken(absl::string_view token_hash) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT tenant_id, mapping_id, expires_at FROM deployment_tokens WHERE token_hash = ?"));
  s->Bind(1, token_hash);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return absl::NotFoundError("unknown deployment token");
  return DeploymentToken{s->Text(0), s->Text(1), FromSqlTime(s->Int(2))};
}

absl::StatusOr<Activation> SqliteStore::Activate(const MappingRecord& mapping,
                                                 const UserRecord& user,
                                                 absl::string_view device_name, absl::Time now) {
  absl::MutexLock lock(&mu_);
  return InTransaction<Activation>([&]() -> absl::StatusOr<Activation> {
    Activation out;
    ASSIGN_OR_RETURN(std::optional<UserRecord> existing,
                     UserByDirectoryId(user.tenant_id, user.directory_id));
    if (existing) {
      out.user_id = existing->user_id;
    } else {
      UserRecord fresh = user;
      fresh.user_id = NewId();
      fresh.mapping_id = mapping.mapping_id;
      fresh.state = UserState::kActive;
      fresh.imported_at = now;
      RETURN_IF_ERROR(InsertUser(fresh, ""));
      out.user_id = fresh.user_id;
      out.user_created = true;
    }
    out.device_id = NewId();
    ASSIGN_OR_RETURN(auto d, db_->Prepare(
        "INSERT INTO devices (device_id, tenant_id, user_id, device_name, created_at) "
        "VALUES (?, ?, ?, ?, ?)"));
    d->Bind(1, out.device_id).Bind(2, user.tenant_id).Bind(3, out.user_id).Bind(4, device_name)
        .Bind(5, SqlTime(now));
    RETURN_IF_ERROR(d->Run());
    return out;
  });
}

}  // namespace dirbridge::cloud
