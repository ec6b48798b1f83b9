#ifndef DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_DB_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dirbridge::cloud {

// A prepared statement with positional binds (1-based, as in SQLite).
// Not thread-safe; the owning store serialises access to its connection.
class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& Bind(int i, absl::string_view text);
  SqliteStatement& Bind(int i, int64_t value);
  SqliteStatement& BindBlob(int i, absl::string_view blob);
  SqliteStatement& BindNull(int i);

  // Next row: true with a row, false when done; an error otherwise.
  absl::StatusOr<bool> Step();
  // Ready to run again, with no values bound.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  // Runs a statement that returns no rows.
  absl::Status Run();

  std::string Text(int column) const;
  int64_t Int(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// One SQLite connection. The schema advances through numbered migrations,
// each applied once in its own transaction and recorded in user_version.
class SqliteDb {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();

  absl::StatusOr<std::unique_ptr<SqliteStatement>> Prepare(absl::string_view sql);
  // A statement prepared once and kept, reset for this use: for the hot
  // loops (imports), where preparing per row costs more than the row.
  // Valid until the next Cached call with the same SQL.
  absl::StatusOr<SqliteStatement*> Cached(const std::string& sql);
  absl::Status Exec(absl::string_view sql);
  absl::Status Migrate(const char* const* migrations, int count);
  int Changes() const { return sqlite3_changes(db_); }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<std::string, std::unique_ptr<SqliteStatement>> cache_;
};

absl::Status SqliteError(sqlite3* db, absl::string_view what);

// Every row of `s`, each turned into a T by `read`.
template <typename T, typename Read>
absl::StatusOr<std::vector<T>> ReadAll(SqliteStatement& s, Read read) {
  std::vector<T> out;
  while (true) {
    absl::StatusOr<bool> row = s.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(read(s));
  }
}

// Times are stored as Unix microseconds.
inline int64_t SqlTime(absl::Time t) { return absl::ToUnixMicros(t); }
inline absl::Time FromSqlTime(int64_t us) { return absl::FromUnixMicros(us); }

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_DB_H_
