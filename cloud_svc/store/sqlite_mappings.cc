#include "absl/strings/str_cat.h"
#include "cloud_svc/store/lines.h"
#include "cloud_svc/store/sqlite_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

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

std::string MappingNamed(absl::string_view mapping_id) {
  return absl::StrCat("mapping \"", mapping_id, "\"");
}

}  // namespace

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
  if (!row) return absl::NotFoundError(absl::StrCat(MappingNamed(mapping_id), " not found"));
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
      "SELECT ", kMappingColumns,
      " FROM mappings WHERE next_run_at <= ? ORDER BY next_run_at, mapping_id")));
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
  return UpdateOne(*s, MappingNamed(m.mapping_id));
}

absl::Status SqliteStore::SetNextRun(absl::string_view tenant_id, absl::string_view mapping_id,
                                     absl::Time next_run_at) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE mappings SET next_run_at = ? WHERE tenant_id = ? AND mapping_id = ?"));
  s->Bind(1, SqlTime(next_run_at)).Bind(2, tenant_id).Bind(3, mapping_id);
  return UpdateOne(*s, MappingNamed(mapping_id));
}

absl::StatusOr<bool> SqliteStore::ClaimRun(absl::string_view tenant_id,
                                           absl::string_view mapping_id, absl::Time due_at,
                                           absl::Time next_run_at) {
  absl::MutexLock lock(&mu_);
  // A compare-and-set: of two claims of one due run, the second finds the
  // time moved and changes nothing.
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE mappings SET next_run_at = ? "
      "WHERE tenant_id = ? AND mapping_id = ? AND next_run_at = ?"));
  s->Bind(1, SqlTime(next_run_at)).Bind(2, tenant_id).Bind(3, mapping_id).Bind(4, SqlTime(due_at));
  RETURN_IF_ERROR(s->Run());
  if (db_->Changes() > 0) return true;
  ASSIGN_OR_RETURN(auto q, db_->Prepare(
      "SELECT 1 FROM mappings WHERE tenant_id = ? AND mapping_id = ?"));
  q->Bind(1, tenant_id).Bind(2, mapping_id);
  ASSIGN_OR_RETURN(bool found, q->Step());
  if (!found) return absl::NotFoundError(absl::StrCat(MappingNamed(mapping_id), " not found"));
  return false;
}

absl::StatusOr<MappingRecord> SqliteStore::UpdateMapping(const MappingRecord& m) {
  absl::MutexLock lock(&mu_);
  return InTransaction<MappingRecord>([&]() -> absl::StatusOr<MappingRecord> {
    ASSIGN_OR_RETURN(auto u, db_->Prepare(
        "UPDATE mappings SET name = ?, base_dn = ?, ou_dns = ?, group_dns = ?, "
        "sync_interval_s = ?, next_run_at = ?, watermark = ?, watermark_server = ? "
        "WHERE tenant_id = ? AND mapping_id = ?"));
    u->Bind(1, m.name).Bind(2, m.base_dn).Bind(3, JoinLines(m.ou_dns))
        .Bind(4, JoinLines(m.group_dns)).Bind(5, absl::ToInt64Seconds(m.sync_interval))
        .Bind(6, SqlTime(m.next_run_at)).Bind(7, m.watermark).Bind(8, m.watermark_server)
        .Bind(9, m.tenant_id).Bind(10, m.mapping_id);
    RETURN_IF_ERROR(UpdateOne(*u, MappingNamed(m.mapping_id)));
    ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
        "SELECT ", kMappingColumns, " FROM mappings WHERE tenant_id = ? AND mapping_id = ?")));
    s->Bind(1, m.tenant_id).Bind(2, m.mapping_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return absl::InternalError("store: an updated mapping vanished");
    return ReadMapping(*s);
  });
}

absl::StatusOr<uint64_t> SqliteStore::DeleteMapping(absl::string_view tenant_id,
                                                    absl::string_view mapping_id,
                                                    absl::Time now) {
  absl::MutexLock lock(&mu_);
  return InTransaction<uint64_t>([&]() -> absl::StatusOr<uint64_t> {
    ASSIGN_OR_RETURN(auto d, db_->Prepare(
        "DELETE FROM mappings WHERE tenant_id = ? AND mapping_id = ?"));
    d->Bind(1, tenant_id).Bind(2, mapping_id);
    RETURN_IF_ERROR(UpdateOne(*d, MappingNamed(mapping_id)));
    ASSIGN_OR_RETURN(auto t, db_->Prepare(
        "DELETE FROM deployment_tokens WHERE tenant_id = ? AND mapping_id = ?"));
    t->Bind(1, tenant_id).Bind(2, mapping_id);
    RETURN_IF_ERROR(t->Run());
    ASSIGN_OR_RETURN(auto u, db_->Prepare(
        "UPDATE users SET state = 2, imported_at = ? WHERE tenant_id = ? AND mapping_id = ? "
        "AND state = 1"));
    u->Bind(1, SqlTime(now)).Bind(2, tenant_id).Bind(3, mapping_id);
    RETURN_IF_ERROR(u->Run());
    return static_cast<uint64_t>(db_->Changes());
  });
}

}  // namespace dirbridge::cloud
