#include "cloud_svc/store/postgres/pg_schema.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

// Numbered migrations: append, never edit one that has shipped. The tables
// are SQLite's (sqlite_schema.cc) in PostgreSQL's types; times are BIGINT
// Unix microseconds. Ids that lists are ordered by are COLLATE "C", so
// their order is bytewise whatever the database's locale, as in SQLite.
constexpr const char* kMigrations[] = {
    // 1: everything one replica needs.
    R"sql(
    CREATE TABLE tenants (
      tenant_id TEXT COLLATE "C" PRIMARY KEY,
      name TEXT NOT NULL,
      token_hash TEXT NOT NULL UNIQUE,
      created_at BIGINT NOT NULL);
    CREATE TABLE connectors (
      connector_id TEXT COLLATE "C" PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      name TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      deleted BOOLEAN NOT NULL DEFAULT false,
      credential_hash TEXT UNIQUE,
      last_seen BIGINT,
      version TEXT NOT NULL DEFAULT '',
      hostname TEXT NOT NULL DEFAULT '',
      ldap_ok BOOLEAN NOT NULL DEFAULT false,
      password_public_key BYTEA NOT NULL DEFAULT '',
      protocol_revision BIGINT NOT NULL DEFAULT 0);
    CREATE INDEX connectors_by_tenant ON connectors(tenant_id, created_at, connector_id);
    CREATE TABLE registration_keys (
      connector_id TEXT PRIMARY KEY REFERENCES connectors(connector_id),
      key_hash TEXT NOT NULL UNIQUE,
      expires_at BIGINT NOT NULL);
    CREATE TABLE alerts (
      seq BIGSERIAL UNIQUE,
      alert_id TEXT COLLATE "C" PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      kind INTEGER NOT NULL,
      connector_id TEXT NOT NULL DEFAULT '',
      mapping_id TEXT NOT NULL DEFAULT '',
      raised_at BIGINT NOT NULL,
      cleared_at BIGINT,
      message TEXT NOT NULL);
    CREATE INDEX alerts_by_tenant ON alerts(tenant_id, raised_at);
    -- At most one standing alert per event, however many replicas raise it.
    CREATE UNIQUE INDEX alerts_standing ON alerts(tenant_id, kind, connector_id, mapping_id)
      WHERE cleared_at IS NULL;
    CREATE TABLE ekeys (
      key_id TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      user_id TEXT NOT NULL,
      wrapped BYTEA NOT NULL,
      kek_version BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      current BOOLEAN NOT NULL DEFAULT true);
    CREATE UNIQUE INDEX ekeys_current ON ekeys(tenant_id, user_id) WHERE current;
    CREATE TABLE mappings (
      mapping_id TEXT COLLATE "C" PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      name TEXT NOT NULL,
      base_dn TEXT NOT NULL,
      ou_dns TEXT NOT NULL,
      group_dns TEXT NOT NULL,
      sync_interval_s BIGINT NOT NULL,
      priority INTEGER NOT NULL,
      created_at BIGINT NOT NULL,
      next_run_at BIGINT NOT NULL,
      last_run_id TEXT NOT NULL DEFAULT '',
      held_run_id TEXT NOT NULL DEFAULT '',
      held_count BIGINT NOT NULL DEFAULT 0,
      watermark TEXT NOT NULL DEFAULT '',
      watermark_server TEXT NOT NULL DEFAULT '',
      last_full_at BIGINT NOT NULL DEFAULT 0);
    CREATE INDEX mappings_due ON mappings(next_run_at);
    CREATE INDEX mappings_by_tenant ON mappings(tenant_id);
    CREATE TABLE users (
      user_id TEXT COLLATE "C" PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      mapping_id TEXT NOT NULL,
      directory_id TEXT NOT NULL,
      dn TEXT NOT NULL,
      username TEXT NOT NULL,
      user_principal_name TEXT NOT NULL,
      email TEXT NOT NULL,
      display_name TEXT NOT NULL,
      groups TEXT NOT NULL,
      disabled BOOLEAN NOT NULL,
      state INTEGER NOT NULL,
      imported_at BIGINT NOT NULL,
      last_seen_run TEXT NOT NULL,
      UNIQUE (tenant_id, directory_id));
    CREATE INDEX users_by_mapping ON users(tenant_id, mapping_id, user_id);
    CREATE TABLE deployment_tokens (
      token_hash TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      mapping_id TEXT NOT NULL,
      expires_at BIGINT NOT NULL);
    CREATE INDEX deployment_tokens_by_tenant ON deployment_tokens(tenant_id, expires_at);
    CREATE TABLE devices (
      device_id TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL,
      user_id TEXT NOT NULL REFERENCES users(user_id),
      device_name TEXT NOT NULL,
      created_at BIGINT NOT NULL);
    CREATE TABLE device_counts (
      tenant_id TEXT PRIMARY KEY REFERENCES tenants(tenant_id),
      devices BIGINT NOT NULL);
    CREATE TABLE audit (
      audit_id BIGSERIAL PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
      at BIGINT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      object_id TEXT NOT NULL,
      detail TEXT NOT NULL);
    CREATE INDEX audit_by_tenant ON audit(tenant_id, at, audit_id);
    )sql",
    // 2: presence: which replica is alive and which connector streams it
    // holds (PresenceStore).
    R"sql(
    CREATE TABLE replicas (
      replica_id TEXT COLLATE "C" PRIMARY KEY,
      peer_addr TEXT NOT NULL,
      last_seen BIGINT NOT NULL);
    CREATE TABLE sessions (
      replica_id TEXT COLLATE "C" NOT NULL REFERENCES replicas(replica_id),
      connector_id TEXT COLLATE "C" NOT NULL,
      tenant_id TEXT NOT NULL,
      since BIGINT NOT NULL,
      PRIMARY KEY (replica_id, connector_id));
    CREATE INDEX sessions_by_tenant ON sessions(tenant_id, connector_id);
    )sql",
};

// pg_advisory_lock's key for the migrations: "dirbridg" in ASCII.
constexpr int64_t kMigrationLock = 0x6469726272696467;

absl::Status MigrateLocked(pg::Connection& conn) {
  RETURN_IF_ERROR(conn.ExecScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"));
  ASSIGN_OR_RETURN(pg::Result r, conn.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  const int have = static_cast<int>(r.Int(0, 0));
  if (have > PostgresSchemaVersion()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "postgres: the database's schema (", have, ") is newer than this build's (",
        PostgresSchemaVersion(), "): run a newer cloud_svc"));
  }
  for (int v = have + 1; v <= PostgresSchemaVersion(); ++v) {
    RETURN_IF_ERROR(conn.ExecScript("BEGIN"));
    absl::Status st = conn.ExecScript(kMigrations[v - 1]);
    if (st.ok()) {
      st = conn.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                     pg::Params().Int(v).Time(absl::Now()))
               .status();
    }
    if (!st.ok()) {
      conn.ExecScript("ROLLBACK").IgnoreError();
      return absl::Status(st.code(), absl::StrCat("migration ", v, ": ", st.message()));
    }
    RETURN_IF_ERROR(conn.ExecScript("COMMIT"));
  }
  return absl::OkStatus();
}

}  // namespace

int PostgresSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

absl::Status MigratePostgresSchema(pg::Connection& conn) {
  RETURN_IF_ERROR(
      conn.Exec("SELECT pg_advisory_lock($1)", pg::Params().Int(kMigrationLock)).status());
  absl::Status st = MigrateLocked(conn);
  // Unlocked either way; a lost connection drops the lock with it.
  conn.Exec("SELECT pg_advisory_unlock($1)", pg::Params().Int(kMigrationLock)).status().IgnoreError();
  return st;
}

}  // namespace dirbridge::cloud
