#ifndef DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_SCHEMA_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_SCHEMA_H_

#include "absl/status/status.h"
#include "cloud_svc/store/sqlite_db.h"

namespace dirbridge::cloud {

// Brings SqliteStore's schema up to this build's version, one numbered
// migration at a time; FAILED_PRECONDITION when the file's schema is newer.
absl::Status MigrateStoreSchema(SqliteDb& db);

// This build's schema version: the number of migrations.
int StoreSchemaVersion();

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_SCHEMA_H_
