#include "cloud_svc/store/sqlite_store.h"

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/sqlite_schema.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  RETURN_IF_ERROR(MigrateStoreSchema(*db));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db)));
}

absl::Status SqliteStore::UpdateOne(SqliteStatement& update, absl::string_view what) {
  RETURN_IF_ERROR(update.Run());
  // SQLite counts a matched row as changed even when no value differs, so
  // zero means the row is not there (or not this tenant's).
  if (db_->Changes() == 0) return absl::NotFoundError(absl::StrCat(what, " not found"));
  return absl::OkStatus();
}

}  // namespace dirbridge::cloud
