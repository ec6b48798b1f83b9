#ifndef DIRBRIDGE_TESTS_HARNESS_PROCESS_H_
#define DIRBRIDGE_TESTS_HARNESS_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dirbridge::testing {

// A child process with stdout and stderr in a log file. Killed (SIGKILL) on
// destruction if still running.
class Process {
 public:
  Process() = default;
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  absl::Status Start(const std::vector<std::string>& argv, const std::string& log_path,
                     const std::vector<std::string>& env = {});
  void Signal(int sig);
  // Waits for the exit; the exit code, or 128+signal. DEADLINE_EXCEEDED
  // when still running at the deadline.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  void Kill();
  // What the tests' services get at the end of a test: SIGKILL, or with
  // DIRBRIDGE_TEST_STOP_GRACEFULLY set (tests/sanitize.sh) SIGTERM first,
  // so that the process exits through its own shutdown, where
  // LeakSanitizer checks it; SIGKILL if it is still running after 10 s.
  void Stop();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// Runs a command to its end; its combined output.
absl::StatusOr<std::string> RunCommand(const std::vector<std::string>& argv,
                                       int* exit_code = nullptr,
                                       const std::vector<std::string>& env = {});

// Polls `condition` until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration poll = absl::Milliseconds(20));

// A TCP port on 127.0.0.1 that was free a moment ago (for servers, such as
// slapd, that cannot report a port 0 they were given).
int PickFreePort();
bool PortAcceptsConnections(int port);

std::string ReadFileOrEmpty(const std::string& path);
void WriteFile(const std::string& path, const std::string& contents, int mode = 0644);
// A fresh directory under $TMPDIR, removed by nobody: test logs stay for CI.
std::string MakeTempDir(const std::string& prefix);

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_HARNESS_PROCESS_H_
