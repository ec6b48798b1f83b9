#ifndef DIRBRIDGE_TESTS_BENCH_MEASURE_H_
#define DIRBRIDGE_TESTS_BENCH_MEASURE_H_

#include <grpcpp/channel.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/harness/slapd.h"

namespace dirbridge::bench {

// A field of /proc/PID/status in KiB (VmRSS, VmHWM), or -1.
int64_t ProcKb(pid_t pid, const std::string& field);
double Ms(absl::Duration d);
// The median and the p-th quantile (0..1) of samples; 0 for none.
double Median(std::vector<double> v);
double Pct(std::vector<double> v, double p);
// User + system CPU seconds a process has used, all its threads (0 for pid 0:
// this process).
double CpuSeconds(pid_t pid);
// User + system CPU seconds of this process's children that have exited.
double ChildCpuSeconds();

// CPU per operation of each of a few processes over repeated windows, for
// a figure's note: on shared cores, what bounds a figure is what each
// process spends per operation, a steadier reading than a wall time.
class CpuPerOp {
 public:
  // pid 0 is this process, kExitedChildren the children that exited in the
  // window (a command the floor runs).
  static constexpr pid_t kExitedChildren = -1;
  CpuPerOp(std::vector<std::string> names, std::vector<pid_t> pids);

  // Runs `window`, which returns how many operations it did, books each
  // process's CPU microseconds per operation, and returns the count.
  template <typename Window>
  double Measure(Window window) {
    std::vector<double> before = Now();
    double ops = window();
    std::vector<double> after = Now();
    for (size_t i = 0; i < pids_.size(); ++i) {
      samples_[i].push_back(ops > 0 ? (after[i] - before[i]) * 1e6 / ops : 0);
    }
    return ops;
  }
  // "slapd 188 + client 59": the median of each process's samples.
  std::string Note(int decimals) const;

 private:
  std::vector<double> Now() const;

  std::vector<std::string> names_;
  std::vector<pid_t> pids_;
  std::vector<std::vector<double>> samples_;
};
std::string UserName(int i);
// Wall time of a shell command, in ms.
double TimeCommand(const std::string& cmd);

// The physical floor of search-then-bind: libldap straight from this
// process, a service connection and a bind connection per caller, with the
// filter, attributes and bind control dirbridge uses for a login.
double DirectAuthThroughput(const testing::Slapd& slapd, int callers, int users,
                            absl::Duration duration);
// Logins per second through cloud_svc and a connector.
double DirbridgeAuthThroughput(std::shared_ptr<grpc::Channel> channel, const std::string& token,
                               int callers, int users, absl::Duration duration);

}  // namespace dirbridge::bench

#endif  // DIRBRIDGE_TESTS_BENCH_MEASURE_H_
