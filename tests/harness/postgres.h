#ifndef DIRBRIDGE_TESTS_HARNESS_POSTGRES_H_
#define DIRBRIDGE_TESTS_HARNESS_POSTGRES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dirbridge::testing {

// A real PostgreSQL 15 for tests, in a temp dir, on 127.0.0.1 and a free
// port: initdb and pg_ctl from /usr/lib/postgresql/15/bin, run as the
// `postgres` user when the test runs as root (PostgreSQL refuses root).
// TCP takes a password (scram-sha-256) only; the test role's password is in
// files (0600), never in a URI or argv. The superuser works over a
// Unix socket in the temp dir, for the harness's own setup.
//
// One server per test binary (Shared()); a test isolates itself with a
// database of its own (NewDatabase). Not thread-safe: tests call it from
// their own thread.
class Postgres {
 public:
  static constexpr char kUser[] = "dirbridge";

  // The binary's server, started on first use and stopped at exit.
  static absl::StatusOr<Postgres*> Shared();

  Postgres() = default;
  ~Postgres();
  Postgres(const Postgres&) = delete;
  Postgres& operator=(const Postgres&) = delete;

  // Creates the cluster on the first call; later calls start it again on
  // the same data and port (after Stop: "PostgreSQL stopped and started").
  absl::Status Start();
  // A fast shutdown: open connections are cut.
  absl::Status Stop();
  bool running() const { return running_; }
  // SIGSTOP of the server and every backend: it keeps its sockets and
  // answers nothing (a hung server, not a stopped one). Thaw: SIGCONT.
  absl::Status Freeze();
  void Thaw();

  // A fresh empty database owned by the test role; its name.
  absl::StatusOr<std::string> NewDatabase();
  // postgresql://dirbridge@127.0.0.1:PORT/DB (no password in it).
  std::string uri(const std::string& database = "dirbridge") const;
  // The test role's password, alone in a file (--store_password_file).
  std::string password_file() const { return dir_ + "/password"; }
  // The same as a pgpass file (PGPASSFILE).
  std::string pgpass_file() const { return dir_ + "/pgpass"; }
  const std::string& password() const { return password_; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // The server's log, for a failing test's message.
  std::string Log() const;
  // Runs SQL as the superuser in `database`; psql's output.
  absl::StatusOr<std::string> Psql(const std::string& sql,
                                   const std::string& database = "postgres") const;

 private:
  absl::Status InitCluster();
  // argv run as the postgres user (via runuser when we are root).
  absl::StatusOr<std::string> RunAsPostgres(const std::vector<std::string>& argv) const;

  std::string dir_;  // owned by postgres; data/ and the socket live here
  std::string password_;
  int port_ = 0;
  int databases_ = 0;
  bool running_ = false;
  std::vector<int> frozen_;  // pids
};

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_HARNESS_POSTGRES_H_
