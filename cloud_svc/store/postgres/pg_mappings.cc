// PostgresStore: mappings and their schedule.

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/postgres/postgres_store.h"
#include "cloud_svc/store/lines.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

constexpr char kMappingColumns[] =
    "tenant_id, mapping_id, name, base_dn, ou_dns, group_dns, sync_interval_s, priority, "
    "created_at, next_run_at, last_run_id, held_run_id, held_count, watermark, "
    "watermark_server, last_full_at";

MappingRecord ReadMapping(const pg::Result& r, int row) {
  MappingRecord m;
  m.tenant_id = r.Text(row, 0);
  m.mapping_id = r.Text(row, 1);
  m.name = r.Text(row, 2);
  m.base_dn = r.Text(row, 3);
  m.ou_dns = SplitLines(r.Text(row, 4));
  m.group_dns = SplitLines(r.Text(row, 5));
  m.sync_interval = absl::Seconds(r.Int(row, 6));
  m.priority = static_cast<int>(r.Int(row, 7));
  m.created_at = r.Time(row, 8);
  m.next_run_at = r.Time(row, 9);
  m.last_run_id = r.Text(row, 10);
  m.held_run_id = r.Text(row, 11);
  m.held_count = static_cast<uint64_t>(r.Int(row, 12));
  m.watermark = r.Text(row, 13);
  m.watermark_server = r.Text(row, 14);
  m.last_full_at = r.Time(row, 15);
  return m;
}

std::vector<MappingRecord> ReadMappings(const pg::Result& r) {
  std::vector<MappingRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadMapping(r, i));
  return out;
}

std::string MappingNamed(absl::string_view mapping_id) {
  return absl::StrCat("mapping \"", mapping_id, "\"");
}

}  // namespace

absl::StatusOr<MappingRecord> PostgresStore::CreateMapping(MappingRecord m) {
  return InTransaction<MappingRecord>([&](pg::Connection& c) -> absl::StatusOr<MappingRecord> {
    // The tenant's row locked: two mappings made at once (on two replicas)
    // still get two priorities. An unknown tenant locks nothing, and the
    // INSERT's foreign key refuses it.
    RETURN_IF_ERROR(c.Exec("SELECT 1 FROM tenants WHERE tenant_id = $1 FOR UPDATE",
                           pg::Params().Text(m.tenant_id)).status());
    ASSIGN_OR_RETURN(pg::Result r, c.Exec(absl::StrCat(
        "INSERT INTO mappings (", kMappingColumns, ") VALUES ($1, $2, $3, $4, $5, $6, $7, "
        "(SELECT COALESCE(MAX(priority) + 1, 0) FROM mappings WHERE tenant_id = $1), "
        "$8, $9, $10, $11, $12, $13, $14, $15) RETURNING priority"),
        pg::Params().Text(m.tenant_id).Text(m.mapping_id).Text(m.name).Text(m.base_dn)
            .Text(JoinLines(m.ou_dns)).Text(JoinLines(m.group_dns))
            .Int(absl::ToInt64Seconds(m.sync_interval)).Time(m.created_at).Time(m.next_run_at)
            .Text(m.last_run_id).Text(m.held_run_id).Int(static_cast<int64_t>(m.held_count))
            .Text(m.watermark).Text(m.watermark_server).Time(m.last_full_at)));
    m.priority = static_cast<int>(r.Int(0, 0));
    // As stored: what a read gives back.
    m.ou_dns = SplitLines(JoinLines(m.ou_dns));
    m.group_dns = SplitLines(JoinLines(m.group_dns));
    m.sync_interval = absl::Seconds(absl::ToInt64Seconds(m.sync_interval));
    return m;
  });
}

absl::StatusOr<MappingRecord> PostgresStore::GetMapping(absl::string_view tenant_id,
                                                        absl::string_view mapping_id) {
  ASSIGN_OR_RETURN(pg::Result r, Exec(absl::StrCat("SELECT ", kMappingColumns,
                                                   " FROM mappings WHERE tenant_id = $1 AND "
                                                   "mapping_id = $2"),
                                      pg::Params().Text(tenant_id).Text(mapping_id)));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat(MappingNamed(mapping_id), " not found"));
  }
  return ReadMapping(r, 0);
}

absl::StatusOr<std::vector<MappingRecord>> PostgresStore::ListMappings(
    absl::string_view tenant_id) {
  ASSIGN_OR_RETURN(pg::Result r, Exec(absl::StrCat("SELECT ", kMappingColumns,
                                                   " FROM mappings WHERE tenant_id = $1 "
                                                   "ORDER BY priority"),
                                      pg::Params().Text(tenant_id)));
  return ReadMappings(r);
}

absl::StatusOr<std::vector<MappingRecord>> PostgresStore::DueMappings(absl::Time now) {
  ASSIGN_OR_RETURN(pg::Result r, Exec(absl::StrCat("SELECT ", kMappingColumns,
                                                   " FROM mappings WHERE next_run_at <= $1 "
                                                   "ORDER BY next_run_at, mapping_id"),
                                      pg::Params().Time(now)));
  return ReadMappings(r);
}

absl::Status PostgresStore::SetMappingRun(const MappingRecord& m) {
  return UpdateOne(
      "UPDATE mappings SET last_run_id = $1, held_run_id = $2, held_count = $3, watermark = $4, "
      "watermark_server = $5, last_full_at = $6 WHERE tenant_id = $7 AND mapping_id = $8",
      pg::Params().Text(m.last_run_id).Text(m.held_run_id).Int(static_cast<int64_t>(m.held_count))
          .Text(m.watermark).Text(m.watermark_server).Time(m.last_full_at).Text(m.tenant_id)
          .Text(m.mapping_id),
      MappingNamed(m.mapping_id));
}

absl::Status PostgresStore::SetNextRun(absl::string_view tenant_id, absl::string_view mapping_id,
                                       absl::Time next_run_at) {
  return UpdateOne(
      "UPDATE mappings SET next_run_at = $1 WHERE tenant_id = $2 AND mapping_id = $3",
      pg::Params().Time(next_run_at).Text(tenant_id).Text(mapping_id), MappingNamed(mapping_id));
}

absl::StatusOr<bool> PostgresStore::ClaimRun(absl::string_view tenant_id,
                                             absl::string_view mapping_id, absl::Time due_at,
                                             absl::Time next_run_at) {
  // A compare-and-set: a second claim waits on the row lock, then sees the
  // time moved and changes nothing (READ COMMITTED re-reads the row).
  ASSIGN_OR_RETURN(pg::Result r, Exec(
      "UPDATE mappings SET next_run_at = $1 "
      "WHERE tenant_id = $2 AND mapping_id = $3 AND next_run_at = $4",
      pg::Params().Time(next_run_at).Text(tenant_id).Text(mapping_id).Time(due_at)));
  if (r.affected() > 0) return true;
  ASSIGN_OR_RETURN(pg::Result found,
                   Exec("SELECT 1 FROM mappings WHERE tenant_id = $1 AND mapping_id = $2",
                        pg::Params().Text(tenant_id).Text(mapping_id)));
  if (found.rows() == 0) {
    return absl::NotFoundError(absl::StrCat(MappingNamed(mapping_id), " not found"));
  }
  return false;
}

absl::StatusOr<MappingRecord> PostgresStore::UpdateMapping(const MappingRecord& m) {
  ASSIGN_OR_RETURN(pg::Result r, Exec(absl::StrCat(
      "UPDATE mappings SET name = $1, base_dn = $2, ou_dns = $3, group_dns = $4, "
      "sync_interval_s = $5, next_run_at = $6, watermark = $7, watermark_server = $8 "
      "WHERE tenant_id = $9 AND mapping_id = $10 RETURNING ", kMappingColumns),
      pg::Params().Text(m.name).Text(m.base_dn).Text(JoinLines(m.ou_dns))
          .Text(JoinLines(m.group_dns)).Int(absl::ToInt64Seconds(m.sync_interval))
          .Time(m.next_run_at).Text(m.watermark).Text(m.watermark_server).Text(m.tenant_id)
          .Text(m.mapping_id)));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat(MappingNamed(m.mapping_id), " not found"));
  }
  return ReadMapping(r, 0);
}

absl::StatusOr<uint64_t> PostgresStore::DeleteMapping(absl::string_view tenant_id,
                                                      absl::string_view mapping_id,
                                                      absl::Time now) {
  return InTransaction<uint64_t>([&](pg::Connection& c) -> absl::StatusOr<uint64_t> {
    const pg::Params ids = pg::Params().Text(tenant_id).Text(mapping_id);
    ASSIGN_OR_RETURN(pg::Result gone, c.Exec(
        "DELETE FROM mappings WHERE tenant_id = $1 AND mapping_id = $2", ids));
    if (gone.affected() == 0) {
      return absl::NotFoundError(absl::StrCat(MappingNamed(mapping_id), " not found"));
    }
    RETURN_IF_ERROR(c.Exec("DELETE FROM deployment_tokens WHERE tenant_id = $1 AND "
                           "mapping_id = $2", ids).status());
    ASSIGN_OR_RETURN(pg::Result marked, c.Exec(
        "UPDATE users SET state = 2, imported_at = $3 WHERE tenant_id = $1 AND mapping_id = $2 "
        "AND state = 1", pg::Params().Text(tenant_id).Text(mapping_id).Time(now)));
    return marked.affected();
  });
}

}  // namespace dirbridge::cloud
