#ifndef DIRBRIDGE_TESTS_BENCH_BENCH_SESSIONS_H_
#define DIRBRIDGE_TESTS_BENCH_BENCH_SESSIONS_H_

#include <vector>

#include "absl/status/status.h"
#include "tests/bench/report.h"
#include "tests/harness/stack.h"

namespace dirbridge::bench {

// `sessions` connectors registered on `cloud` and held open by fake
// connectors that answer nothing but heartbeats: cloud_svc's RSS per idle
// session, and the p99 of a routed call to a random one of them.
absl::Status IdleSessions(testing::CloudSvc& cloud, int sessions, int repeats,
                          std::vector<Figure>* figs);

}  // namespace dirbridge::bench

#endif  // DIRBRIDGE_TESTS_BENCH_BENCH_SESSIONS_H_
