#include "cloud_svc/store/postgres/pg_conn.h"

#include <poll.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dirbridge::cloud::pg {
namespace {

// An array element in double quotes, with " and \ escaped: whatever the
// text, it stays one element (NULL, commas and braces included).
void AppendQuoted(std::string* out, absl::string_view v) {
  out->push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

Params& Params::Text(absl::string_view v) {
  has_nul_ = has_nul_ || v.find('\0') != absl::string_view::npos;
  values_.emplace_back(v);
  lengths_.push_back(static_cast<int>(v.size()));
  formats_.push_back(0);
  return *this;
}

Params& Params::Int(int64_t v) { return Text(absl::StrCat(v)); }

Params& Params::Bytes(absl::string_view v) {
  values_.emplace_back(v);
  lengths_.push_back(static_cast<int>(v.size()));
  formats_.push_back(1);  // binary: the length is honoured, NULs and all
  return *this;
}

Params& Params::TextArray(const std::vector<std::string>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendQuoted(&out, v[i]);
  }
  out.push_back('}');
  return Text(out);
}

Params& Params::IntArray(const std::vector<int64_t>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) absl::StrAppend(&out, i > 0 ? "," : "", v[i]);
  out.push_back('}');
  return Text(out);
}

Params& Params::BoolArray(const std::vector<bool>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) absl::StrAppend(&out, i > 0 ? "," : "", v[i] ? "t" : "f");
  out.push_back('}');
  return Text(out);
}

const char* const* Params::values() const {
  pointers_.clear();
  for (const std::string& v : values_) pointers_.push_back(v.data());
  return pointers_.data();
}

Result& Result::operator=(Result&& o) noexcept {
  if (this != &o) {
    PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

uint64_t Result::affected() const {
  uint64_t n = 0;
  return absl::SimpleAtoi(PQcmdTuples(r_), &n) ? n : 0;
}

std::string Result::Text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), PQgetlength(r_, row, col));
}

int64_t Result::Int(int row, int col) const {
  int64_t v = 0;
  return absl::SimpleAtoi(Text(row, col), &v) ? v : 0;
}

std::string Result::Bytes(int row, int col) const {
  size_t n = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col)), &n);
  if (raw == nullptr) return "";
  std::string out(reinterpret_cast<char*>(raw), n);
  PQfreemem(raw);
  return out;
}

absl::Status ErrorOf(PGconn* conn, const PGresult* r, absl::string_view what) {
  const char* state = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_SQLSTATE);
  std::string detail = r != nullptr ? PQresultErrorMessage(r) : "";
  if (detail.empty() && conn != nullptr) detail = PQerrorMessage(conn);
  std::string msg = absl::StrCat("postgres: ", what, ": ",
                                 absl::StripTrailingAsciiWhitespace(detail));
  absl::string_view s = state == nullptr ? "" : state;
  if (s == "23505") return absl::AlreadyExistsError(msg);       // unique_violation
  if (s == "23503") return absl::FailedPreconditionError(msg);  // foreign_key_violation
  if (absl::StartsWith(s, "08") ||  // connection exception
      absl::StartsWith(s, "53") ||  // insufficient resources (too many connections)
      absl::StartsWith(s, "57P") ||  // admin shutdown, crash shutdown, cannot connect now
      s == "40001" || s == "40P01" ||  // serialization failure, deadlock: retry
      s == "55P03") {                  // lock not available
    return absl::UnavailableError(msg);
  }
  if (s == "57014") return absl::DeadlineExceededError(msg);  // statement timeout
  // No SQLSTATE: libpq's own failure, which is the connection's.
  if (s.empty() && (conn == nullptr || PQstatus(conn) != CONNECTION_OK || r == nullptr)) {
    return absl::UnavailableError(msg);
  }
  if (absl::StartsWith(s, "23")) return absl::FailedPreconditionError(msg);  // other constraints
  return absl::InternalError(msg);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const std::vector<std::pair<std::string, std::string>>& keywords,
    absl::Duration query_timeout) {
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : keywords) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("postgres: out of memory");
  // The server's notices (NOTICE of an IF NOT EXISTS, the FATAL of a
  // shutdown) would go to stderr; the statuses say what matters.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  std::unique_ptr<Connection> c(new Connection(conn, query_timeout));
  if (PQstatus(conn) != CONNECTION_OK) {
    const bool auth = absl::StrContains(PQerrorMessage(conn), "authentication") ||
                      absl::StrContains(PQerrorMessage(conn), "password");
    std::string msg = absl::StrCat("postgres: connect: ",
                                   absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn)));
    // A wrong password will not mend by itself; an unreachable server may.
    if (auth) return absl::UnauthenticatedError(msg);
    return absl::UnavailableError(msg);
  }
  return c;
}

namespace {

// The statement's first words name it in an error ("INSERT INTO users"):
// the values are bound apart, so this never carries one.
std::string StatementNamed(absl::string_view sql) {
  sql = absl::StripLeadingAsciiWhitespace(sql);
  std::string out(sql.substr(0, 40));
  for (char& c : out) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return sql.size() > 40 ? absl::StrCat(out, "…") : out;
}

bool Succeeded(const PGresult* r) {
  if (r == nullptr) return false;
  ExecStatusType st = PQresultStatus(r);
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

}  // namespace

absl::StatusOr<Result> Connection::Collect(bool sent, absl::string_view sql) {
  if (!sent) {
    lost_ = PQstatus(conn_) != CONNECTION_OK;
    return ErrorOf(conn_, nullptr, StatementNamed(sql));
  }
  const absl::Time deadline = absl::Now() + query_timeout_;
  std::optional<Result> last;
  std::optional<absl::Status> failed;
  while (true) {
    // Wait for the socket, not in libpq: a server that stopped answering
    // costs query_timeout, not a thread for ever.
    while (PQisBusy(conn_) == 1) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        lost_ = true;  // its answer may still come: the connection is done for
        return absl::UnavailableError(absl::StrCat(
            "postgres: ", StatementNamed(sql), ": no answer within ",
            absl::FormatDuration(query_timeout_)));
      }
      pollfd pfd{PQsocket(conn_), POLLIN, 0};
      poll(&pfd, 1, static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(left))));
      if (PQconsumeInput(conn_) == 0) {
        lost_ = true;
        return ErrorOf(conn_, nullptr, StatementNamed(sql));
      }
    }
    PGresult* raw = PQgetResult(conn_);
    if (raw == nullptr) break;
    Result r(raw);
    if (!failed && !Succeeded(r.raw())) failed = ErrorOf(conn_, r.raw(), StatementNamed(sql));
    last = std::move(r);
  }
  if (failed) return *failed;
  if (!last) return ErrorOf(conn_, nullptr, StatementNamed(sql));
  return std::move(*last);
}

absl::StatusOr<Result> Connection::Exec(absl::string_view sql, const Params& params) {
  if (params.has_nul()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "postgres: ", StatementNamed(sql),
        ": a value holds a NUL byte, which PostgreSQL text cannot store"));
  }
  const std::string text(sql);
  const bool sent = PQsendQueryParams(conn_, text.c_str(), params.size(), /*paramTypes=*/nullptr,
                                      params.values(), params.lengths(), params.formats(),
                                      /*resultFormat=*/0) == 1;
  return Collect(sent, sql);
}

absl::Status Connection::ExecScript(absl::string_view sql) {
  const std::string text(sql);
  return Collect(PQsendQuery(conn_, text.c_str()) == 1, sql).status();
}

absl::Status Connection::Reset() {
  PQreset(conn_);
  if (PQstatus(conn_) == CONNECTION_OK) {
    lost_ = false;
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat(
      "postgres: reconnect: ", absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn_))));
}

}  // namespace dirbridge::cloud::pg
