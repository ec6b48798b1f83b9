// PostgresStore: tenants and connectors.

#include <optional>

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/postgres/postgres_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

constexpr char kConnectorColumns[] =
    "tenant_id, connector_id, name, created_at, last_seen, version, hostname, "
    "ldap_ok, password_public_key, protocol_revision";

ConnectorRecord ReadConnector(const pg::Result& r, int row) {
  ConnectorRecord c;
  c.tenant_id = r.Text(row, 0);
  c.connector_id = r.Text(row, 1);
  c.name = r.Text(row, 2);
  c.created_at = r.Time(row, 3);
  if (!r.IsNull(row, 4)) c.last_seen = r.Time(row, 4);
  c.version = r.Text(row, 5);
  c.hostname = r.Text(row, 6);
  c.ldap_ok = r.Bool(row, 7);
  c.password_public_key = r.Bytes(row, 8);
  c.protocol_revision = static_cast<unsigned>(r.Int(row, 9));
  return c;
}

std::string ConnectorNamed(absl::string_view connector_id) {
  return absl::StrCat("connector \"", connector_id, "\"");
}

absl::Status Refused() {
  return absl::PermissionDeniedError(
      "registration key is not valid: it may be mistyped, used, expired or "
      "replaced by a newer one; ask the console for a new key");
}

}  // namespace

absl::Status PostgresStore::CreateTenant(const TenantRecord& t, absl::string_view token_hash) {
  return Exec("INSERT INTO tenants (tenant_id, name, token_hash, created_at) "
              "VALUES ($1, $2, $3, $4)",
              pg::Params().Text(t.tenant_id).Text(t.name).Text(token_hash).Time(t.created_at))
      .status();
}

absl::StatusOr<TenantRecord> PostgresStore::TenantByTokenHash(absl::string_view token_hash) {
  ASSIGN_OR_RETURN(pg::Result r,
                   Exec("SELECT tenant_id, name, created_at FROM tenants WHERE token_hash = $1",
                        pg::Params().Text(token_hash)));
  if (r.rows() == 0) return absl::NotFoundError("store: no tenant for that token");
  return TenantRecord{r.Text(0, 0), r.Text(0, 1), r.Time(0, 2)};
}

absl::Status PostgresStore::CreateConnector(const ConnectorRecord& c) {
  return Exec("INSERT INTO connectors (tenant_id, connector_id, name, created_at) "
              "VALUES ($1, $2, $3, $4)",
              pg::Params().Text(c.tenant_id).Text(c.connector_id).Text(c.name).Time(c.created_at))
      .status();
}

absl::StatusOr<ConnectorRecord> PostgresStore::GetConnector(absl::string_view tenant_id,
                                                            absl::string_view connector_id) {
  ASSIGN_OR_RETURN(pg::Result r,
                   Exec(absl::StrCat("SELECT ", kConnectorColumns, " FROM connectors "
                                     "WHERE NOT deleted AND tenant_id = $1 AND connector_id = $2"),
                        pg::Params().Text(tenant_id).Text(connector_id)));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat(ConnectorNamed(connector_id), " not found"));
  }
  return ReadConnector(r, 0);
}

absl::StatusOr<std::vector<ConnectorRecord>> PostgresStore::ListConnectors(
    absl::string_view tenant_id) {
  ASSIGN_OR_RETURN(pg::Result r,
                   Exec(absl::StrCat("SELECT ", kConnectorColumns, " FROM connectors "
                                     "WHERE NOT deleted AND tenant_id = $1 "
                                     "ORDER BY created_at, connector_id"),
                        pg::Params().Text(tenant_id)));
  std::vector<ConnectorRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadConnector(r, i));
  return out;
}

absl::Status PostgresStore::DeleteConnector(absl::string_view tenant_id,
                                            absl::string_view connector_id) {
  return InTransaction<bool>([&](pg::Connection& c) -> absl::StatusOr<bool> {
           ASSIGN_OR_RETURN(pg::Result r,
                            c.Exec("UPDATE connectors SET deleted = true, credential_hash = NULL "
                                   "WHERE tenant_id = $1 AND connector_id = $2 AND NOT deleted",
                                   pg::Params().Text(tenant_id).Text(connector_id)));
           if (r.affected() == 0) {
             return absl::NotFoundError(absl::StrCat(ConnectorNamed(connector_id), " not found"));
           }
           RETURN_IF_ERROR(c.Exec("DELETE FROM registration_keys WHERE connector_id = $1",
                                  pg::Params().Text(connector_id))
                               .status());
           return true;
         })
      .status();
}

absl::Status PostgresStore::SetRegistrationKey(absl::string_view tenant_id,
                                               absl::string_view connector_id,
                                               absl::string_view key_hash, absl::Time expires_at) {
  return InTransaction<bool>([&](pg::Connection& c) -> absl::StatusOr<bool> {
           // The connector's row locked, so a delete cannot slip in between.
           ASSIGN_OR_RETURN(pg::Result live,
                            c.Exec("SELECT 1 FROM connectors WHERE tenant_id = $1 AND "
                                   "connector_id = $2 AND NOT deleted FOR UPDATE",
                                   pg::Params().Text(tenant_id).Text(connector_id)));
           if (live.rows() == 0) {
             return absl::NotFoundError(absl::StrCat(ConnectorNamed(connector_id), " not found"));
           }
           // As SQLite's INSERT OR REPLACE: the connector's older key goes,
           // and so does an equal hash of another connector.
           RETURN_IF_ERROR(c.Exec("DELETE FROM registration_keys WHERE connector_id = $1 OR "
                                  "key_hash = $2",
                                  pg::Params().Text(connector_id).Text(key_hash))
                               .status());
           RETURN_IF_ERROR(c.Exec("INSERT INTO registration_keys (connector_id, key_hash, "
                                  "expires_at) VALUES ($1, $2, $3)",
                                  pg::Params().Text(connector_id).Text(key_hash).Time(expires_at))
                               .status());
           return true;
         })
      .status();
}

absl::StatusOr<ConnectorRecord> PostgresStore::RedeemRegistrationKey(
    absl::string_view key_hash, absl::Time now, absl::string_view credential_hash) {
  // Empty: refused. The transaction commits a refusal too, so a key is used
  // up by any attempt (an expired key cannot be tried twice).
  using Outcome = std::optional<ConnectorRecord>;
  ASSIGN_OR_RETURN(Outcome outcome, InTransaction<Outcome>(
      [&](pg::Connection& c) -> absl::StatusOr<Outcome> {
        // The DELETE takes the key's row lock: of replicas redeeming one key
        // at once, one gets the row and the others find it gone.
        ASSIGN_OR_RETURN(pg::Result k, c.Exec(
            "DELETE FROM registration_keys WHERE key_hash = $1 RETURNING connector_id, expires_at",
            pg::Params().Text(key_hash)));
        if (k.rows() == 0 || k.Time(0, 1) <= now) return Outcome();
        const std::string connector_id = k.Text(0, 0);
        ASSIGN_OR_RETURN(pg::Result r, c.Exec(absl::StrCat(
            "UPDATE connectors SET credential_hash = $1 WHERE connector_id = $2 AND NOT deleted "
            "RETURNING ", kConnectorColumns), pg::Params().Text(credential_hash).Text(connector_id)));
        if (r.rows() == 0) return Outcome();
        return Outcome(ReadConnector(r, 0));
      }));
  if (!outcome) return Refused();
  return *outcome;
}

absl::StatusOr<ConnectorRecord> PostgresStore::ConnectorByCredentialHash(
    absl::string_view credential_hash) {
  ASSIGN_OR_RETURN(pg::Result r,
                   Exec(absl::StrCat("SELECT ", kConnectorColumns, " FROM connectors "
                                     "WHERE NOT deleted AND credential_hash = $1"),
                        pg::Params().Text(credential_hash)));
  if (r.rows() == 0) return absl::NotFoundError("connector not found");
  return ReadConnector(r, 0);
}

absl::Status PostgresStore::RecordConnection(const ConnectorRecord& c) {
  return UpdateOne(
      "UPDATE connectors SET last_seen = $1, version = $2, hostname = $3, ldap_ok = $4, "
      "password_public_key = $5, protocol_revision = $6 "
      "WHERE tenant_id = $7 AND connector_id = $8 AND NOT deleted",
      pg::Params().Time(c.last_seen.value_or(absl::Now())).Text(c.version).Text(c.hostname)
          .Bool(c.ldap_ok).Bytes(c.password_public_key).Int(c.protocol_revision)
          .Text(c.tenant_id).Text(c.connector_id),
      ConnectorNamed(c.connector_id));
}

absl::Status PostgresStore::TouchConnector(absl::string_view tenant_id,
                                           absl::string_view connector_id, absl::Time last_seen,
                                           bool ldap_ok) {
  return UpdateOne("UPDATE connectors SET last_seen = $1, ldap_ok = $2 "
                   "WHERE tenant_id = $3 AND connector_id = $4 AND NOT deleted",
                   pg::Params().Time(last_seen).Bool(ldap_ok).Text(tenant_id).Text(connector_id),
                   ConnectorNamed(connector_id));
}

}  // namespace dirbridge::cloud
