#include "tests/harness/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace dirbridge::testing {

Process::~Process() { Kill(); }

absl::Status Process::Start(const std::vector<std::string>& argv,
                            const std::string& log_path,
                            const std::vector<std::string>& env) {
  log_path_ = log_path;
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", log_path));
  pid_t pid = fork();
  if (pid < 0) {
    close(fd);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    // The test process may block signals for its own reasons; a child starts
    // with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const std::string& e : env) putenv(strdup(e.c_str()));
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fd);
  pid_ = pid;
  return absl::OkStatus();
}

void Process::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

absl::StatusOr<int> Process::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("still running");
    absl::SleepFor(absl::Milliseconds(10));
  }
}

void Process::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGCONT);  // a stopped process cannot die otherwise
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void Process::Stop() {
  if (pid_ > 0 && getenv("DIRBRIDGE_TEST_STOP_GRACEFULLY") != nullptr) {
    kill(pid_, SIGCONT);  // a stopped process cannot handle SIGTERM
    kill(pid_, SIGTERM);
    if (Wait(absl::Seconds(10)).ok()) return;
  }
  Kill();
}

std::string Process::Log() const { return ReadFileOrEmpty(log_path_); }

absl::StatusOr<std::string> RunCommand(const std::vector<std::string>& argv,
                                       int* exit_code,
                                       const std::vector<std::string>& env) {
  std::string dir = MakeTempDir("cmd");
  std::string log = dir + "/out";
  Process p;
  absl::Status st = p.Start(argv, log, env);
  if (!st.ok()) return st;
  absl::StatusOr<int> code = p.Wait(absl::Minutes(5));
  if (!code.ok()) return code.status();
  if (exit_code) *exit_code = *code;
  return ReadFileOrEmpty(log);
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration poll) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(poll);
  }
}

int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool PortAcceptsConnections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& contents, int mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << contents;
  }
  chmod(path.c_str(), mode);
}

std::string MakeTempDir(const std::string& prefix) {
  const char* base = getenv("DIRBRIDGE_TEST_TMP");
  if (base == nullptr) base = getenv("TMPDIR");
  if (base == nullptr) base = "/tmp";
  std::string tmpl = absl::StrCat(base, "/dirbridge-", prefix, "-XXXXXX");
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

}  // namespace dirbridge::testing
