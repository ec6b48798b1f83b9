#include "cloud_svc/store/sqlite_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

// Numbered migrations: append, never edit one that has shipped.
constexpr const char* kMigrations[] = {
    // 1: tenants, connectors, registration keys, alerts.
    R"sql(
    CREATE TABLE tenants (
      tenant_id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      token_hash TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL);
    CREATE TABLE connectors (
      connector_id TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      name TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      deleted INTEGER NOT NULL DEFAULT 0,
      credential_hash TEXT UNIQUE,
      last_seen INTEGER,
      version TEXT NOT NULL DEFAULT '',
      hostname TEXT NOT NULL DEFAULT '',
      ldap_ok INTEGER NOT NULL DEFAULT 0,
      password_public_key BLOB NOT NULL DEFAULT x'',
      protocol_revision INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX connectors_by_tenant ON connectors(tenant_id);
    CREATE TABLE registration_keys (
      connector_id TEXT PRIMARY KEY REFERENCES connectors(connector_id),
      key_hash TEXT NOT NULL UNIQUE,
      expires_at INTEGER NOT NULL);
    CREATE TABLE alerts (
      alert_id TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      kind INTEGER NOT NULL,
      connector_id TEXT NOT NULL DEFAULT '',
      mapping_id TEXT NOT NULL DEFAULT '',
      raised_at INTEGER NOT NULL,
      cleared_at INTEGER,
      message TEXT NOT NULL);
    CREATE INDEX alerts_by_tenant ON alerts(tenant_id, raised_at);
    )sql",
    // 2: ekeys, wrapped under a connector's KEK; never in clear.
    R"sql(
    CREATE TABLE ekeys (
      key_id TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      user_id TEXT NOT NULL,
      wrapped BLOB NOT NULL,
      kek_version INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      current INTEGER NOT NULL DEFAULT 1);
    CREATE UNIQUE INDEX ekeys_current ON ekeys(tenant_id, user_id) WHERE current = 1;
    )sql",
    // 3: mappings, imported users, deployment tokens and devices.
    R"sql(
    CREATE TABLE mappings (
      mapping_id TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      name TEXT NOT NULL,
      base_dn TEXT NOT NULL,
      ou_dns TEXT NOT NULL,
      group_dns TEXT NOT NULL,
      sync_interval_s INTEGER NOT NULL,
      priority INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      next_run_at INTEGER NOT NULL,
      last_run_id TEXT NOT NULL DEFAULT '',
      held_run_id TEXT NOT NULL DEFAULT '',
      held_count INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX mappings_due ON mappings(next_run_at);
    CREATE TABLE users (
      user_id TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      mapping_id TEXT NOT NULL,
      directory_id TEXT NOT NULL,
      dn TEXT NOT NULL,
      username TEXT NOT NULL,
      user_principal_name TEXT NOT NULL,
      email TEXT NOT NULL,
      display_name TEXT NOT NULL,
      groups TEXT NOT NULL,
      disabled INTEGER NOT NULL,
      state INTEGER NOT NULL,
      imported_at INTEGER NOT NULL,
      last_seen_run TEXT NOT NULL,
      UNIQUE (tenant_id, directory_id));
    CREATE INDEX users_by_mapping ON users(tenant_id, mapping_id, user_id);
    CREATE TABLE deployment_tokens (
      token_hash TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      mapping_id TEXT NOT NULL,
      expires_at INTEGER NOT NULL);
    CREATE TABLE devices (
      device_id TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL,
      user_id TEXT NOT NULL REFERENCES users(user_id),
      device_name TEXT NOT NULL,
      created_at INTEGER NOT NULL);
    )sql",
    // 4: incremental sync watermarks.
    R"sql(
    ALTER TABLE mappings ADD COLUMN watermark TEXT NOT NULL DEFAULT '';
    ALTER TABLE mappings ADD COLUMN watermark_server TEXT NOT NULL DEFAULT '';
    ALTER TABLE mappings ADD COLUMN last_full_at INTEGER NOT NULL DEFAULT 0;
    )sql",
};

int64_t Micros(absl::Time t) { return SqlTime(t); }
absl::Time FromMicros(int64_t us) { return FromSqlTime(us); }

constexpr char kConnectorColumns[] =
    "tenant_id, connector_id, name, created_at, last_seen, version, hostname, "
    "ldap_ok, password_public_key, protocol_revision";

ConnectorRecord ReadConnector(const SqliteStatement& s) {
  ConnectorRecord c;
  c.tenant_id = s.Text(0);
  c.connector_id = s.Text(1);
  c.name = s.Text(2);
  c.created_at = FromMicros(s.Int(3));
  if (!s.IsNull(4)) c.last_seen = FromMicros(s.Int(4));
  c.version = s.Text(5);
  c.hostname = s.Text(6);
  c.ldap_ok = s.Int(7) != 0;
  c.password_public_key = s.Text(8);
  c.protocol_revision = static_cast<unsigned>(s.Int(9));
  return c;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  RETURN_IF_ERROR(db->Migrate(kMigrations, std::size(kMigrations)));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db)));
}

absl::Status SqliteStore::CreateTenant(const TenantRecord& tenant,
                                       absl::string_view token_hash) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO tenants (tenant_id, name, token_hash, created_at) "
      "VALUES (?, ?, ?, ?)"));
  s->Bind(1, tenant.tenant_id).Bind(2, tenant.name).Bind(3, token_hash)
      .Bind(4, Micros(tenant.created_at));
  return s->Run();
}

absl::StatusOr<TenantRecord> SqliteStore::TenantByTokenHash(
    absl::string_view token_hash) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT tenant_id, name, created_at FROM tenants WHERE token_hash = ?"));
  s->Bind(1, token_hash);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return absl::NotFoundError("store: no tenant for that token");
  return TenantRecord{s->Text(0), s->Text(1), FromMicros(s->Int(2))};
}

absl::Status SqliteStore::CreateConnector(const ConnectorRecord& c) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO connectors (tenant_id, connector_id, name, created_at) "
      "VALUES (?, ?, ?, ?)"));
  s->Bind(1, c.tenant_id).Bind(2, c.connector_id).Bind(3, c.name)
      .Bind(4, Micros(c.created_at));
  return s->Run();
}

absl::StatusOr<ConnectorRecord> SqliteStore::OneConnector(
    absl::string_view where_sql, absl::string_view a, absl::string_view b) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT ", kConnectorColumns, " FROM connectors WHERE deleted = 0 AND ",
      where_sql)));
  s->Bind(1, a);
  if (!b.empty()) s->Bind(2, b);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return absl::NotFoundError("connector not found");
  return ReadConnector(*s);
}

absl::StatusOr<ConnectorRecord> SqliteStore::GetConnector(
    absl::string_view tenant_id, absl::string_view connector_id) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<ConnectorRecord> c = OneConnector(
      "tenant_id = ? AND connector_id = ?", tenant_id, connector_id);
  if (absl::IsNotFound(c.status())) {
    return absl::NotFoundError(
        absl::StrCat("connector \"", connector_id, "\" not found"));
  }
  return c;
}

absl::StatusOr<std::vector<ConnectorRecord>> SqliteStore::ListConnectors(
    absl::string_view tenant_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT ", kConnectorColumns,
      " FROM connectors WHERE deleted = 0 AND tenant_id = ? "
      "ORDER BY created_at, connector_id")));
  s->Bind(1, tenant_id);
  return ReadAll<ConnectorRecord>(*s, ReadConnector);
}

absl::Status SqliteStore::DeleteConnector(absl::string_view tenant_id,
                                          absl::string_view connector_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE connectors SET deleted = 1, credential_hash = NULL "
      "WHERE tenant_id = ? AND connector_id = ? AND deleted = 0"));
  s->Bind(1, tenant_id).Bind(2, connector_id);
  RETURN_IF_ERROR(s->Run());
  if (db_->Changes() == 0) {
    return absl::NotFoundError(
        absl::StrCat("connector \"", connector_id, "\" not found"));
  }
  ASSIGN_OR_RETURN(auto k, db_->Prepare(
      "DELETE FROM registration_keys WHERE connector_id = ?"));
  k->Bind(1, connector_id);
  return k->Run();
}

absl::Status SqliteStore::SetRegistrationKey(absl::string_view tenant_id,
                                             absl::string_view connector_id,
                                             absl::string_view key_hash,
                                             absl::Time expires_at) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(OneConnector("tenant_id = ? AND connector_id = ?", tenant_id,
                               connector_id)
                      .status());
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT OR REPLACE INTO registration_keys "
      "(connector_id, key_hash, expires_at) VALUES (?, ?, ?)"));
  s->Bind(1, connector_id).Bind(2, key_hash).Bind(3, Micros(expires_at));
  return s->Run();
}

absl::StatusOr<ConnectorRecord> SqliteStore::RedeemRegistrationKey(
    absl::string_view key_hash, absl::Time now,
    absl::string_view credential_hash) {
  absl::MutexLock lock(&mu_);
  const absl::Status refused = absl::PermissionDeniedError(
      "registration key is not valid: it may be mistyped, used, expired or "
      "replaced by a newer one; ask the console for a new key");
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  auto redeem = [&]() -> absl::StatusOr<ConnectorRecord> {
    ASSIGN_OR_RETURN(auto k, db_->Prepare(
        "SELECT connector_id, expires_at FROM registration_keys "
        "WHERE key_hash = ?"));
    k->Bind(1, key_hash);
    ASSIGN_OR_RETURN(bool row, k->Step());
    if (!row) return refused;
    std::string connector_id = k->Text(0);
    bool expired = FromMicros(k->Int(1)) <= now;
    ASSIGN_OR_RETURN(auto del, db_->Prepare(
        "DELETE FROM registration_keys WHERE key_hash = ?"));
    del->Bind(1, key_hash);
    RETURN_IF_ERROR(del->Run());
    if (expired) return refused;
    absl::StatusOr<ConnectorRecord> c =
        OneConnector("connector_id = ?", connector_id, "");
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
  s->Bind(1, Micros(c.last_seen.value_or(absl::Now())))
      .Bind(2, c.version).Bind(3, c.hostname)
      .Bind(4, int64_t{c.ldap_ok}).BindBlob(5, c.password_public_key)
      .Bind(6, int64_t{c.protocol_revision})
      .Bind(7, c.tenant_id).Bind(8, c.connector_id);
  return s->Run();
}

absl::Status SqliteStore::TouchConnector(absl::string_view tenant_id,
                                         absl::string_view connector_id,
                                         absl::Time last_seen, bool ldap_ok) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE connectors SET last_seen = ?, ldap_ok = ? "
      "WHERE tenant_id = ? AND connector_id = ?"));
  s->Bind(1, Micros(last_seen)).Bind(2, int64_t{ldap_ok}).Bind(3, tenant_id)
      .Bind(4, connector_id);
  return s->Run();
}

absl::Status SqliteStore::RaiseAlert(const AlertRecord& a) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO alerts (alert_id, tenant_id, kind, connector_id, "
      "mapping_id, raised_at, message) "
      "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE NOT EXISTS ("
      "  SELECT 1 FROM alerts WHERE tenant_id = ?2 AND kind = ?3 AND "
      "  connector_id = ?4 AND mapping_id = ?5 AND cleared_at IS NULL)"));
  s->Bind(1, a.alert_id).Bind(2, a.tenant_id)
      .Bind(3, static_cast<int64_t>(a.kind)).Bind(4, a.connector_id)
      .Bind(5, a.mapping_id).Bind(6, Micros(a.raised_at)).Bind(7, a.message);
  return s->Run();
}

absl::Status SqliteStore::ClearAlerts(absl::string_view tenant_id,
                                      AlertKind kind,
                                      absl::string_view connector_id,
                                      absl::string_view mapping_id,
                                      absl::Time cleared_at) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE alerts SET cleared_at = ? WHERE tenant_id = ? AND kind = ? AND "
      "connector_id = ? AND mapping_id = ? AND cleared_at IS NULL"));
  s->Bind(1, Micros(cleared_at)).Bind(2, tenant_id)
      .Bind(3, static_cast<int64_t>(kind)).Bind(4, connector_id)
      .Bind(5, mapping_id);
  return s->Run();
}

absl::StatusOr<std::vector<AlertRecord>> SqliteStore::ListAlerts(
    absl::string_view tenant_id, bool active_only) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
      "SELECT alert_id, tenant_id, kind, connector_id, mapping_id, raised_at, "
      "cleared_at, message FROM alerts WHERE tenant_id = ?",
      active_only ? " AND cleared_at IS NULL" : "",
      " ORDER BY raised_at DESC, rowid DESC")));
  s->Bind(1, tenant_id);
  std::vector<AlertRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    AlertRecord a;
    a.alert_id = s->Text(0);
    a.tenant_id = s->Text(1);
    a.kind = static_cast<AlertKind>(s->Int(2));
    a.connector_id = s->Text(3);
    a.mapping_id = s->Text(4);
    a.raised_at = FromMicros(s->Int(5));
    if (!s->IsNull(6)) a.cleared_at = FromMicros(s->Int(6));
    a.message = s->Text(7);
    out.push_back(std::move(a));
  }
  return out;
}

namespace {

constexpr char kEkeyColumns[] = "tenant_id, user_id, key_id, wrapped, kek_version, created_at";

EkeyRecord ReadEkey(const SqliteStatement& s) {
  EkeyRecord e;
  e.tenant_id = s.Text(0);
  e.user_id = s.Text(1);
  e.key_id = s.Text(2);
  e.wrapped = s.Text(3);
  e.kek_version = static_cast<uint32_t>(s.Int(4));
  e.created_at = FromMicros(s.Int(5));
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
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  auto put = [&]() -> absl::StatusOr<EkeyRecord> {
    absl::StatusOr<EkeyRecord> existing = CurrentEkeyLocked(e.tenant_id, e.user_id);
    if (existing.ok() && !replace) return existing;
    if (existing.ok()) {
      ASSIGN_OR_RETURN(auto old, db_->Prepare(
          "UPDATE ekeys SET current = 0 WHERE tenant_id = ? AND user_id = ? AND current = 1"));
      old->Bind(1, e.tenant_id).Bind(2, e.user_id);
      RETURN_IF_ERROR(old->Run());
    }
    ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
        "INSERT INTO ekeys (", kEkeyColumns, ", current) VALUES (?, ?, ?, ?, ?, ?, 1)")));
    s->Bind(1, e.tenant_id).Bind(2, e.user_id).Bind(3, e.key_id).BindBlob(4, e.wrapped)
        .Bind(5, static_cast<int64_t>(e.kek_version)).Bind(6, Micros(e.created_at));
    RETURN_IF_ERROR(s->Run());
    return e;
  };
  absl::StatusOr<EkeyRecord> out = put();
  if (out.ok()) {
    RETURN_IF_ERROR(db_->Exec("COMMIT"));
  } else {
    db_->Exec("ROLLBACK").IgnoreError();
  }
  return out;
}

absl::StatusOr<std::vector<EkeyRecord>> SqliteStore::CurrentEkeys(
    absl::string_view tenant_id, const std::vector<std::string>& user_ids) {
  absl::MutexLock lock(&mu_);
  std::vector<EkeyRecord> out;
  out.reserve(user_ids.size());
  constexpr size_t kBatch = 500;  // well under SQLite's bound-variable limit
  for (size_t i = 0; i < user_ids.size(); i += kBatch) {
    size_t n = std::min(kBatch, user_ids.size() - i);
    std::string marks;
    for (size_t k = 0; k < n; ++k) absl::StrAppend(&marks, k ? ",?" : "?");
    ASSIGN_OR_RETURN(auto s, db_->Prepare(absl::StrCat(
        "SELECT ", kEkeyColumns, " FROM ekeys WHERE tenant_id = ? AND current = 1 AND user_id IN (",
        marks, ")")));
    s->Bind(1, tenant_id);
    for (size_t k = 0; k < n; ++k) s->Bind(static_cast<int>(k + 2), user_ids[i + k]);
    ASSIGN_OR_RETURN(std::vector<EkeyRecord> batch, ReadAll<EkeyRecord>(*s, ReadEkey));
    for (EkeyRecord& e : batch) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace dirbridge::cloud
