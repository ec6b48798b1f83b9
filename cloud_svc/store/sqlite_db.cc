#include "cloud_svc/store/sqlite_db.h"

#include "absl/strings/str_cat.h"

namespace dirbridge::cloud {

absl::Status SqliteError(sqlite3* db, absl::string_view what) {
  int code = sqlite3_errcode(db);
  std::string msg = absl::StrCat("store: ", what, ": ", sqlite3_errmsg(db));
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
    return absl::UnavailableError(msg);
  }
  // A missing parent row (an unknown tenant) is the caller's precondition;
  // any other constraint is a taken id, hash or key.
  if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return absl::FailedPreconditionError(msg);
  }
  if (code == SQLITE_CONSTRAINT) return absl::AlreadyExistsError(msg);
  return absl::InternalError(msg);
}

SqliteStatement& SqliteStatement::Bind(int i, absl::string_view text) {
  sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int i, int64_t value) {
  sqlite3_bind_int64(stmt_, i, value);
  return *this;
}

SqliteStatement& SqliteStatement::BindBlob(int i, absl::string_view blob) {
  sqlite3_bind_blob(stmt_, i, blob.data(), static_cast<int>(blob.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

absl::StatusOr<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, "step");
}

absl::Status SqliteStatement::Run() {
  absl::StatusOr<bool> row = Step();
  if (!row.ok()) return row.status();
  return absl::OkStatus();
}

std::string SqliteStatement::Text(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr) return "";
  return std::string(static_cast<const char*>(data), size);
}

int64_t SqliteStatement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::FailedPreconditionError(
        absl::StrCat("store: cannot open \"", path, "\": ", msg));
  }
  auto out = std::unique_ptr<SqliteDb>(new SqliteDb(db));
  sqlite3_busy_timeout(db, 5000);
  // WAL keeps readers off the writer's back; NORMAL sync is durable across a
  // process crash (SIGKILL), which is the failure this store must survive.
  absl::Status st = out->Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
      "PRAGMA foreign_keys=ON;");
  if (!st.ok()) return st;
  return out;
}

SqliteDb::~SqliteDb() {
  cache_.clear();  // statements first: sqlite3_close refuses while any is open
  sqlite3_close(db_);
}

absl::StatusOr<SqliteStatement*> SqliteDb::Cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  absl::StatusOr<std::unique_ptr<SqliteStatement>> s = Prepare(sql);
  if (!s.ok()) return s.status();
  SqliteStatement* raw = s->get();
  cache_.emplace(sql, std::move(*s));
  return raw;
}

absl::StatusOr<std::unique_ptr<SqliteStatement>> SqliteDb::Prepare(
    absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt,
                         nullptr) != SQLITE_OK) {
    return SqliteError(db_, absl::StrCat("prepare \"", sql, "\""));
  }
  return std::make_unique<SqliteStatement>(db_, stmt);
}

absl::Status SqliteDb::Exec(absl::string_view sql) {
  std::string s(sql);
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(db_, "exec");
  }
  return absl::OkStatus();
}

absl::Status SqliteDb::Migrate(const char* const* migrations, int count) {
  absl::StatusOr<std::unique_ptr<SqliteStatement>> q =
      Prepare("PRAGMA user_version");
  if (!q.ok()) return q.status();
  absl::StatusOr<bool> row = (*q)->Step();
  if (!row.ok()) return row.status();
  int version = static_cast<int>((*q)->Int(0));
  q->reset();
  if (version > count) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store: schema version ", version, " is newer than this build's ",
        count, "; refusing to run an older cloud_svc on it"));
  }
  for (int v = version; v < count; ++v) {
    absl::Status st = Exec(absl::StrCat("BEGIN IMMEDIATE; ", migrations[v],
                                        "; PRAGMA user_version = ", v + 1,
                                        "; COMMIT;"));
    if (!st.ok()) {
      Exec("ROLLBACK").IgnoreError();
      return absl::InternalError(
          absl::StrCat("store: migration ", v + 1, " failed: ", st.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace dirbridge::cloud
