#ifndef DIRBRIDGE_TESTS_BENCH_MEASURE_H_
#define DIRBRIDGE_TESTS_BENCH_MEASURE_H_

#include <grpcpp/channel.h>
#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "tests/harness/slapd.h"

namespace dirbridge::bench {

// A field of /proc/PID/status in KiB (VmRSS, VmHWM), or -1.
int64_t ProcKb(pid_t pid, const std::string& field);
double Ms(absl::Duration d);
// User + system CPU seconds a process has used, all its threads (0 for pid 0:
// this process).
double CpuSeconds(pid_t pid);
// User + system CPU seconds of this process's children that have exited.
double ChildCpuSeconds();
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
