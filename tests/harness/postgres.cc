#include "tests/harness/postgres.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/harness/process.h"

namespace dirbridge::testing {
namespace {

constexpr char kBin[] = "/usr/lib/postgresql/15/bin/";

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  urandom.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  return absl::BytesToHexString(raw);
}

// The postgres user's ids when we are root (then files PostgreSQL reads
// must be its own); our own otherwise.
bool Chown(const std::string& path) {
  if (geteuid() != 0) return true;
  const passwd* pw = getpwnam("postgres");
  return pw != nullptr && chown(path.c_str(), pw->pw_uid, pw->pw_gid) == 0;
}

}  // namespace

absl::StatusOr<Postgres*> Postgres::Shared() {
  static Postgres* const shared = new Postgres();
  static const bool registered = [] {
    // Keeps the log for CI, drops the data (tens of MB per test process).
    std::atexit([] {
      shared->Stop().IgnoreError();
      if (!shared->dir().empty()) std::filesystem::remove_all(shared->dir() + "/data");
    });
    return true;
  }();
  (void)registered;
  if (!shared->running()) {
    absl::Status st = shared->Start();
    if (!st.ok()) return st;
  }
  return shared;
}

Postgres::~Postgres() { Stop().IgnoreError(); }

absl::StatusOr<std::string> Postgres::RunAsPostgres(const std::vector<std::string>& argv) const {
  std::vector<std::string> full;
  if (geteuid() == 0) {
    // env -C: PostgreSQL's tools want a working directory they may enter.
    full = {"runuser", "-u", "postgres", "--", "env", "-C", dir_};
  }
  full.insert(full.end(), argv.begin(), argv.end());
  int code = 0;
  absl::StatusOr<std::string> out = RunCommand(full, &code);
  if (!out.ok()) return out.status();
  if (code != 0) {
    return absl::InternalError(absl::StrCat("postgres harness: ", argv[0], " exited ", code,
                                            ": ", *out));
  }
  return out;
}

absl::Status Postgres::InitCluster() {
  if (geteuid() == 0 && getpwnam("postgres") == nullptr) {
    return absl::FailedPreconditionError(
        "postgres harness: no `postgres` user (install postgresql: deploy/setup.sh)");
  }
  dir_ = MakeTempDir("pg");
  // The postgres user must pass through the base dir (tests/run.sh makes it
  // 0700 with mktemp): give others search, not read, so nothing in it is
  // listed.
  const std::string base = std::filesystem::path(dir_).parent_path().string();
  struct stat parent{};
  if (geteuid() == 0 && stat(base.c_str(), &parent) == 0 && (parent.st_mode & S_IXOTH) == 0) {
    chmod(base.c_str(), (parent.st_mode & 07777) | S_IXOTH);
  }
  // Only the server's user may enter: the socket and data live here.
  if (chmod(dir_.c_str(), 0700) != 0 || !Chown(dir_)) {
    return absl::InternalError(absl::StrCat("postgres harness: cannot hand ", dir_,
                                            " to the postgres user"));
  }
  absl::StatusOr<std::string> out =
      RunAsPostgres({absl::StrCat(kBin, "initdb"), "-D", dir_ + "/data", "-U", "postgres",
                     "-E", "UTF8", "--locale=C", "--no-sync", "--auth-local=trust",
                     "--auth-host=scram-sha-256"});
  if (!out.ok()) return out.status();
  // The superuser over the socket (in dir_, 0700) only; everyone else over
  // TCP with a password.
  const std::string hba = dir_ + "/data/pg_hba.conf";
  WriteFile(hba,
            "local all postgres trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n",
            0600);
  Chown(hba);
  // Throwaway data: durability off makes CREATE DATABASE and commits fast.
  std::ofstream conf(dir_ + "/data/postgresql.conf", std::ios::app);
  conf << "listen_addresses = '127.0.0.1'\n"
       << "unix_socket_directories = '" << dir_ << "'\n"
       << "password_encryption = 'scram-sha-256'\n"
       << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
       << "max_connections = 200\n";
  conf.close();
  password_ = RandomHex(16);
  // pgpass: host:port:database:user:password, and 0600 or libpq ignores it.
  // The port is "*": Start may move to another one.
  WriteFile(pgpass_file(), absl::StrCat("127.0.0.1:*:*:", kUser, ":", password_, "\n"), 0600);
  WriteFile(password_file(), password_ + "\n", 0600);
  return absl::OkStatus();
}

absl::Status Postgres::Start() {
  if (running_) return absl::OkStatus();
  const bool first = dir_.empty();
  if (first) {
    if (absl::Status st = InitCluster(); !st.ok()) return st;
  }
  // A picked port may be taken by the time the server binds it: on the
  // first start, try another. Later starts keep the port (URIs hold it).
  for (int attempt = 0; attempt < (first ? 5 : 1); ++attempt) {
    if (first) port_ = PickFreePort();
    absl::StatusOr<std::string> out =
        RunAsPostgres({absl::StrCat(kBin, "pg_ctl"), "-D", dir_ + "/data", "-l",
                       dir_ + "/server.log", "-w", "-t", "60", "-o",
                       absl::StrCat("-p ", port_), "start"});
    if (out.ok()) {
      running_ = true;
      break;
    }
    if (!absl::StrContains(Log(), "could not bind")) return out.status();
  }
  if (!running_) return absl::UnavailableError(absl::StrCat("postgres harness: no port: ", Log()));
  if (!first) return absl::OkStatus();
  // The password goes in a file psql reads, not on a command line.
  absl::StatusOr<std::string> made = Psql(absl::StrCat(
      "CREATE ROLE ", kUser, " LOGIN CREATEDB PASSWORD '", password_, "';",
      "CREATE DATABASE ", kUser, " OWNER ", kUser, ";"));
  return made.status();
}

absl::Status Postgres::Stop() {
  if (!running_) return absl::OkStatus();
  running_ = false;
  return RunAsPostgres({absl::StrCat(kBin, "pg_ctl"), "-D", dir_ + "/data", "-m", "fast", "-w",
                        "-t", "60", "stop"})
      .status();
}

absl::Status Postgres::Freeze() {
  int postmaster = 0;
  std::ifstream pidfile(dir_ + "/data/postmaster.pid");
  if (!(pidfile >> postmaster) || postmaster <= 0) {
    return absl::FailedPreconditionError("postgres harness: no postmaster.pid");
  }
  // The postmaster first, so that it forks no backend we would miss.
  kill(postmaster, SIGSTOP);
  frozen_ = {postmaster};
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // pid (comm) state ppid ...: comm may hold spaces, so read after ')'.
    size_t close = line.rfind(')');
    int ppid = 0;
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    if (rest >> state >> ppid && ppid == postmaster) {
      kill(pid, SIGSTOP);
      frozen_.push_back(pid);
    }
  }
  return absl::OkStatus();
}

void Postgres::Thaw() {
  for (int pid : frozen_) kill(pid, SIGCONT);
  frozen_.clear();
}

absl::StatusOr<std::string> Postgres::NewDatabase() {
  std::string name = absl::StrCat("test_", ++databases_);
  absl::StatusOr<std::string> out =
      Psql(absl::StrCat("CREATE DATABASE ", name, " OWNER ", kUser, ";"));
  if (!out.ok()) return out.status();
  return name;
}

std::string Postgres::uri(const std::string& database) const {
  return absl::StrCat("postgresql://", kUser, "@127.0.0.1:", port_, "/", database);
}

std::string Postgres::Log() const { return ReadFileOrEmpty(dir_ + "/server.log"); }

absl::StatusOr<std::string> Postgres::Psql(const std::string& sql,
                                           const std::string& database) const {
  const std::string file = absl::StrCat(dir_, "/psql-", RandomHex(4), ".sql");
  WriteFile(file, sql, 0600);
  Chown(file);
  absl::StatusOr<std::string> out =
      RunAsPostgres({absl::StrCat(kBin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                     "-h", dir_, "-p", absl::StrCat(port_), "-U", "postgres", "-d", database,
                     "-f", file});
  std::filesystem::remove(file);
  return out;
}

}  // namespace dirbridge::testing
