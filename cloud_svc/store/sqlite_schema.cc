#include "cloud_svc/store/sqlite_schema.h"

#include <iterator>

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
    // 5: each tenant's audit log, append-only; audit_id keeps append order.
    R"sql(
    CREATE TABLE audit (
      audit_id INTEGER PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      at INTEGER NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      object_id TEXT NOT NULL,
      detail TEXT NOT NULL);
    CREATE INDEX audit_by_tenant ON audit(tenant_id, at, audit_id);
    )sql",
    // 6: what the per-tenant quotas count, each without a scan of every
    // tenant's rows. Devices are counted as they are made (a tenant may
    // have a million), so a quota check is one row, not a million.
    R"sql(
    CREATE INDEX mappings_by_tenant ON mappings(tenant_id);
    CREATE INDEX deployment_tokens_by_tenant ON deployment_tokens(tenant_id, expires_at);
    CREATE TABLE device_counts (
      tenant_id TEXT PRIMARY KEY REFERENCES tenants(tenant_id),
      devices INTEGER NOT NULL);
    INSERT INTO device_counts (tenant_id, devices)
      SELECT tenant_id, COUNT(*) FROM devices GROUP BY tenant_id;
    )sql",
    // 7: presence, the same tables as PostgreSQL's so one suite reads both;
    // with SQLite every replica is this one process.
    R"sql(
    CREATE TABLE replicas (
      replica_id TEXT PRIMARY KEY,
      peer_addr TEXT NOT NULL,
      last_seen INTEGER NOT NULL);
    CREATE TABLE sessions (
      replica_id TEXT NOT NULL REFERENCES replicas(replica_id),
      connector_id TEXT NOT NULL,
      tenant_id TEXT NOT NULL,
      since INTEGER NOT NULL,
      PRIMARY KEY (replica_id, connector_id));
    CREATE INDEX sessions_by_tenant ON sessions(tenant_id, connector_id);
    )sql",
};

}  // namespace

absl::Status MigrateStoreSchema(SqliteDb& db) {
  return db.Migrate(kMigrations, static_cast<int>(std::size(kMigrations)));
}

int StoreSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

}  // namespace dirbridge::cloud
