#ifndef DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_SCHEMA_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_SCHEMA_H_

#include "absl/status/status.h"
#include "cloud_svc/store/postgres/pg_conn.h"

namespace dirbridge::cloud {

// Applies the numbered migrations this build knows and the database lacks,
// each in its own transaction and recorded in schema_migrations, all under
// one advisory lock: of replicas starting at once, one migrates and the
// others wait, then find nothing to do. FAILED_PRECONDITION when the
// database is newer than this build.
absl::Status MigratePostgresSchema(pg::Connection& conn);
// The number of the newest migration this build knows.
int PostgresSchemaVersion();

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_SCHEMA_H_
