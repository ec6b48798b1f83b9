#include "absl/strings/str_cat.h"
#include "cloud_svc/store/sqlite_store.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

constexpr char kConnectorColumns[] =
    "tenant_id, connector_id, name, created_at, last_seen, version, hostname, "
    "ldap_ok, password_public_key, protocol_revision";

ConnectorRecord ReadConnector(const SqliteStatement& s) {
  ConnectorRecord c;
  c.tenant_id = s.Text(0);
  c.connector_id = s.Text(1);
  c.name = s.Text(2);
  c.created_at = FromSqlTime(s.Int(3));
  if (!s.IsNull(4)) c.last_seen = FromSqlTime(s.Int(4));
  c.version = s.Text(5);
  c.hostname = s.Text(6);
  c.ldap_ok = s.Int(7) != 0;
  c.password_public_key = s.Text(8);
  c.protocol_revision = static_cast<unsigned>(s.Int(9));
  return c;
}

std::string ConnectorNamed(absl::string_view connector_id) {
  return absl::StrCat("connector \"", connector_id, "\"");
}

}  // namespace

absl::Status SqliteStore::CreateConnector(const ConnectorRecord& c) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO connectors (tenant_id, connector_id, name, created_at) VALUES (?, ?, ?, ?)"));
  s->Bind(1, c.tenant_id).Bind(2, c.connector_id).Bind(3, c.name).Bind(4, SqlTime(c.created_at));
  return s->Run();
}

absl::StatusOr<ConnectorRecord> SqliteStore::OneConnector(absl::string_view where_sql,
                                                          absl::string_view a,
                                                          absl::string_view b) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT ", kConnectorColumns, " FROM connectors WHERE deleted = 0 AND ", where_sql)));
  s->Bind(1, a);
  if (!b.empty()) s->Bind(2, b);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return absl::NotFoundError("connector not found");
  return ReadConnector(*s);
}

absl::StatusOr<ConnectorRecord> SqliteStore::GetConnector(absl::string_view tenant_id,
                                                          absl::string_view connector_id) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<ConnectorRecord> c =
      OneConnector("tenant_id = ? AND connector_id = ?", tenant_id, connector_id);
  if (absl::IsNotFound(c.status())) {
    return absl::NotFoundError(absl::StrCat(ConnectorNamed(connector_id), " not found"));
  }
  return c;
}

absl::StatusOr<std::vector<ConnectorRecord>> SqliteStore::ListConnectors(
    absl::string_view tenant_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT ", kConnectorColumns,
      " FROM connectors WHERE deleted = 0 AND tenant_id = ? ORDER BY created_at, connector_id")));
  s->Bind(1, tenant_id);
  return ReadAll<ConnectorRecord>(*s, ReadConnector);
}

absl::Status SqliteStore::DeleteConnector(absl::string_view tenant_id,
                                          absl::string_view connector_id) {
  absl::MutexLock lock(&mu_);
  return InTransaction<bool>([&]() -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(auto s, db_->Prepare(
        "UPDATE connectors SET deleted = 1, credential_hash = NULL "
        "WHERE tenant_id = ? AND connector_id = ? AND deleted = 0"));
    s->Bind(1, tenant_id).Bind(2, connector_id);
    RETURN_IF_ERROR(UpdateOne(*s, ConnectorNamed(connector_id)));
    ASSIGN_OR_RETURN(auto k, db_->Prepare("DELETE FROM registration_keys WHERE connector_id = ?"));
    k->Bind(1, connector_id);
    RETURN_IF_ERROR(k->Run());
    return true;
  }).status();
}

absl::Status SqliteStore::SetRegistrationKey(absl::string_view tenant_id,
                                             absl::string_view connector_id,
                                             absl::string_view key_hash, absl::Time expires_at) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<ConnectorRecord> c =
      OneConnector("tenant_id = ? AND connector_id = ?", tenant_id, connector_id);
  if (absl::IsNotFound(c.status())) {
    return absl::NotFoundError(absl::StrCat(ConnectorNamed(connector_id), " not found"));
  }
  RETURN_IF_ERROR(c.status());
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT OR REPLACE INTO registration_keys (connector_id, key_hash, expires_at) "
      "VALUES (?, ?, ?)"));
  s->Bind(1, connector_id).Bind(2, key_hash).Bind(3, SqlTime(expires_at));
  return s->Run();
}

absl::StatusOr<ConnectorRecord> SqliteStore::RedeemRegistrationKey(
    absl::string_view key_hash, absl::Time now, absl::string_view credential_hash) {
  absl::MutexLock lock(&mu_);
  const absl::Status refused = absl::PermissionDeniedError(
      "registration key is not valid: it may be mistyped, used, expired or "
      "replaced by a newer one; ask the console for a new key");
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  auto redeem = [&]() -> absl::StatusOr<ConnectorRecord> {
    ASSIGN_OR_RETURN(auto k, db_->Prepare(
        "SELECT connector_id, expires_at FROM registration_keys WHERE key_hash = ?"));
    k->Bind(1, key_hash);
    ASSIGN_OR_RETURN(bool row, k->Step());
    if (!row) return refused;
    std::string connector_id = k->Text(0);
    bool expired = FromSqlTime(k->Int(1)) <= now;
    ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM registration_keys WHERE key_hash = ?"));
    del->Bind(1, key_hash);
    RETURN_IF_ERROR(del->Run());
    if (expired) return refused;
    absl::StatusOr<ConnectorRecord> c = OneConnector("connector_id = ?", connector_id, "");
    if (!c.ok()) return refused;
    ASSIGN_OR_RETURN(auto up, db_->Prepare(
        "UPDATE connectors SET credential_hash = ? WHERE connector_id = ?"));
    up->Bind(1, credential_hash).Bind(2, connector_id);
    RETURN_IF_ERROR(up->Run());
    return c;
  };
  absl::StatusOr<ConnectorRecord> result = redeem();
  // A refused key is still used up: the DELETE above commits either way, so
  // an expired key cannot be tried twice.
  if (result.ok() || result.status().code() == absl::StatusCode::kPermissionDenied) {
    RETURN_IF_ERROR(db_->Exec("COMMIT"));
  } else {
    db_->Exec("ROLLBACK").IgnoreError();
  }
  return result;
}

absl::StatusOr<ConnectorRecord> SqliteStore::ConnectorByCredentialHash(
    absl::string_view credential_hash) {
  absl::MutexLock lock(&mu_);
  return OneConnector("credential_hash = ?", credential_hash, "");
}

absl::Status SqliteStore::RecordConnection(const ConnectorRecord& c) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE connectors SET last_seen = ?, version = ?, hostname = ?, "
      "ldap_ok = ?, password_public_key = ?, protocol_revision = ? "
      "WHERE tenant_id = ? AND connector_id = ? AND deleted = 0"));
  s->Bind(1, SqlTime(c.last_seen.value_or(absl::Now())))
      .Bind(2, c.version).Bind(3, c.hostname)
      .Bind(4, int64_t{c.ldap_ok}).BindBlob(5, c.password_public_key)
      .Bind(6, int64_t{c.protocol_revision})
      .Bind(7, c.tenant_id).Bind(8, c.connector_id);
  return UpdateOne(*s, ConnectorNamed(c.connector_id));
}

absl::Status SqliteStore::TouchConnector(absl::string_view tenant_id,
                                         absl::string_view connector_id, absl::Time last_seen,
                                         bool ldap_ok) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE connectors SET last_seen = ?, ldap_ok = ? "
      "WHERE tenant_id = ? AND connector_id = ? AND deleted = 0"));
  s->Bind(1, SqlTime(last_seen)).Bind(2, int64_t{ldap_ok}).Bind(3, tenant_id)
      .Bind(4, connector_id);
  return UpdateOne(*s, ConnectorNamed(connector_id));
}

}  // namespace dirbridge::cloud
