#ifndef DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_CONN_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_CONN_H_

// A thin, exception-free layer over libpq: bound parameters, results that
// free themselves, and SQLSTATEs mapped to absl codes. Internal to
// PostgresStore.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dirbridge::cloud::pg {

// The values of $1, $2, … in order. Every value is bound, never spliced
// into SQL text. Text is sent as text, bytea in binary (raw bytes as given).
class Params {
 public:
  Params& Text(absl::string_view v);
  Params& Int(int64_t v);
  Params& Bool(bool v) { return Text(v ? "t" : "f"); }
  Params& Bytes(absl::string_view v);
  // Unix microseconds, as every time is stored (the precision of
  // records.h, and what SQLite keeps: a time read back compares equal).
  Params& Time(absl::Time t) { return Int(absl::ToUnixMicros(t)); }
  // A text[] literal; the elements are quoted, so any text is safe.
  Params& TextArray(const std::vector<std::string>& v);
  Params& IntArray(const std::vector<int64_t>& v);
  Params& BoolArray(const std::vector<bool>& v);

  int size() const { return static_cast<int>(values_.size()); }
  // PostgreSQL's text cannot hold a NUL byte, and libpq would cut a text
  // value at one; such a value is refused (INVALID_ARGUMENT) before it is
  // sent. Bytes() carry any byte.
  bool has_nul() const { return has_nul_; }
  const char* const* values() const;
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<std::string> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  mutable std::vector<const char*> pointers_;
  bool has_nul_ = false;
};

// One statement's rows, in text form.
class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&& o) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const { return PQntuples(r_); }
  // Rows an INSERT, UPDATE or DELETE touched.
  uint64_t affected() const;
  std::string Text(int row, int col) const;
  int64_t Int(int row, int col) const;
  bool Bool(int row, int col) const { return Text(row, col) == "t"; }
  bool IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  absl::Time Time(int row, int col) const { return absl::FromUnixMicros(Int(row, col)); }
  // A bytea column's raw bytes.
  std::string Bytes(int row, int col) const;
  const PGresult* raw() const { return r_; }

 private:
  PGresult* r_;
};

// What a failed statement or connection means, by SQLSTATE: a taken key
// ALREADY_EXISTS, a missing parent FAILED_PRECONDITION, a lost or refused
// connection (or a server shutting down, a serialization failure, a
// deadlock) UNAVAILABLE: worth a retry. `what` names the operation.
absl::Status ErrorOf(PGconn* conn, const PGresult* r, absl::string_view what);

// One connection. Not thread-safe: the pool lends it to one caller at a time.
class Connection {
 public:
  // Connects with libpq's keywords (expand_dbname: a URI in "dbname" is
  // read as one). UNAVAILABLE when the server cannot be reached,
  // UNAUTHENTICATED when it refuses the password. A statement whose answer
  // takes longer than `query_timeout` (a server that hangs, a host gone
  // without a word) is UNAVAILABLE and the connection is given up.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::vector<std::pair<std::string, std::string>>& keywords,
      absl::Duration query_timeout = absl::Seconds(60));
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement with bound parameters.
  absl::StatusOr<Result> Exec(absl::string_view sql, const Params& params = Params());
  // Statements without parameters, possibly several (migrations, BEGIN).
  absl::Status ExecScript(absl::string_view sql);
  // The connection is lost (the server went away, or did not answer in
  // time): reset it before reuse.
  bool broken() const { return lost_ || PQstatus(conn_) != CONNECTION_OK; }
  // Reconnects; UNAVAILABLE while the server is unreachable.
  absl::Status Reset();
  PGconn* raw() { return conn_; }

 private:
  Connection(PGconn* conn, absl::Duration query_timeout)
      : conn_(conn), query_timeout_(query_timeout) {}
  // The results of what was just sent, waited for up to query_timeout:
  // the last one, or the first that failed.
  absl::StatusOr<Result> Collect(bool sent, absl::string_view sql);

  PGconn* conn_;
  const absl::Duration query_timeout_;
  bool lost_ = false;
};

}  // namespace dirbridge::cloud::pg

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_CONN_H_
