// PostgresStore: ekeys, deployment tokens, and the quota counts.

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/postgres/postgres_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

constexpr char kEkeyColumns[] = "tenant_id, user_id, key_id, wrapped, kek_version, created_at";

EkeyRecord ReadEkey(const pg::Result& r, int row) {
  EkeyRecord e;
  e.tenant_id = r.Text(row, 0);
  e.user_id = r.Text(row, 1);
  e.key_id = r.Text(row, 2);
  e.wrapped = r.Bytes(row, 3);
  e.kek_version = static_cast<uint32_t>(r.Int(row, 4));
  e.created_at = r.Time(row, 5);
  return e;
}

pg::Params EkeyParams(const EkeyRecord& e) {
  return pg::Params().Text(e.tenant_id).Text(e.user_id).Text(e.key_id).Bytes(e.wrapped)
      .Int(e.kek_version).Time(e.created_at);
}

absl::StatusOr<EkeyRecord> CurrentOn(pg::Connection& c, absl::string_view tenant_id,
                                     absl::string_view user_id) {
  ASSIGN_OR_RETURN(pg::Result r, c.Exec(absl::StrCat(
      "SELECT ", kEkeyColumns, " FROM ekeys WHERE tenant_id = $1 AND user_id = $2 AND current"),
      pg::Params().Text(tenant_id).Text(user_id)));
  if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("user \"", user_id, "\" has no ekey"));
  return ReadEkey(r, 0);
}

}  // namespace

absl::StatusOr<EkeyRecord> PostgresStore::CurrentEkey(absl::string_view tenant_id,
                                                      absl::string_view user_id) {
  ASSIGN_OR_RETURN(pg::Pool::Lease conn, pool_.Checkout());
  return CurrentOn(*conn, tenant_id, user_id);
}

absl::StatusOr<EkeyRecord> PostgresStore::PutEkey(const EkeyRecord& e, bool replace) {
  return InTransaction<EkeyRecord>([&](pg::Connection& c) -> absl::StatusOr<EkeyRecord> {
    if (!replace) {
      // Of provisions racing on replicas, one INSERT wins the partial unique
      // index; the others wait for it, do nothing, and return its key.
      ASSIGN_OR_RETURN(pg::Result r, c.Exec(absl::StrCat(
          "INSERT INTO ekeys (", kEkeyColumns, ", current) VALUES ($1, $2, $3, $4, $5, $6, true) "
          "ON CONFLICT (tenant_id, user_id) WHERE current DO NOTHING RETURNING key_id"),
          EkeyParams(e)));
      if (r.rows() == 1) return e;
      return CurrentOn(c, e.tenant_id, e.user_id);
    }
    RETURN_IF_ERROR(c.Exec("UPDATE ekeys SET current = false WHERE tenant_id = $1 AND "
                           "user_id = $2 AND current",
                           pg::Params().Text(e.tenant_id).Text(e.user_id)).status());
    RETURN_IF_ERROR(c.Exec(absl::StrCat("INSERT INTO ekeys (", kEkeyColumns, ", current) "
                                        "VALUES ($1, $2, $3, $4, $5, $6, true)"),
                           EkeyParams(e)).status());
    return e;
  });
}

absl::StatusOr<std::vector<EkeyRecord>> PostgresStore::CurrentEkeys(
    absl::string_view tenant_id, const std::vector<std::string>& user_ids) {
  // One array parameter however many users: no statement per user, and
  // ANY() takes each user once.
  ASSIGN_OR_RETURN(pg::Result r, Exec(absl::StrCat(
      "SELECT ", kEkeyColumns, " FROM ekeys WHERE tenant_id = $1 AND current AND "
      "user_id = ANY($2::text[])"),
      pg::Params().Text(tenant_id).TextArray(user_ids)));
  std::vector<EkeyRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadEkey(r, i));
  return out;
}

absl::Status PostgresStore::CreateDeploymentToken(absl::string_view token_hash,
                                                  const DeploymentToken& t) {
  return Exec("INSERT INTO deployment_tokens (token_hash, tenant_id, mapping_id, expires_at) "
              "VALUES ($1, $2, $3, $4)",
              pg::Params().Text(token_hash).Text(t.tenant_id).Text(t.mapping_id)
                  .Time(t.expires_at)).status();
}

absl::StatusOr<DeploymentToken> PostgresStore::GetDeploymentToken(absl::string_view token_hash) {
  ASSIGN_OR_RETURN(pg::Result r, Exec(
      "SELECT tenant_id, mapping_id, expires_at FROM deployment_tokens WHERE token_hash = $1",
      pg::Params().Text(token_hash)));
  if (r.rows() == 0) return absl::NotFoundError("unknown deployment token");
  return DeploymentToken{r.Text(0, 0), r.Text(0, 1), r.Time(0, 2)};
}

namespace {

absl::StatusOr<uint64_t> First(absl::StatusOr<pg::Result> r) {
  if (!r.ok()) return r.status();
  return r->rows() == 0 ? 0 : static_cast<uint64_t>(r->Int(0, 0));
}

}  // namespace

absl::StatusOr<uint64_t> PostgresStore::CountConnectors(absl::string_view tenant_id) {
  return First(Exec("SELECT COUNT(*) FROM connectors WHERE tenant_id = $1 AND NOT deleted",
                    pg::Params().Text(tenant_id)));
}

absl::StatusOr<uint64_t> PostgresStore::CountMappings(absl::string_view tenant_id) {
  return First(Exec("SELECT COUNT(*) FROM mappings WHERE tenant_id = $1",
                    pg::Params().Text(tenant_id)));
}

absl::StatusOr<uint64_t> PostgresStore::CountLiveDeploymentTokens(absl::string_view tenant_id,
                                                                  absl::Time now) {
  return First(Exec("SELECT COUNT(*) FROM deployment_tokens WHERE tenant_id = $1 AND "
                    "expires_at > $2",
                    pg::Params().Text(tenant_id).Time(now)));
}

absl::StatusOr<uint64_t> PostgresStore::CountDevices(absl::string_view tenant_id) {
  return First(Exec("SELECT devices FROM device_counts WHERE tenant_id = $1",
                    pg::Params().Text(tenant_id)));
}

}  // namespace dirbridge::cloud
