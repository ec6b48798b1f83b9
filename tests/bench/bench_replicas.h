#ifndef DIRBRIDGE_TESTS_BENCH_BENCH_REPLICAS_H_
#define DIRBRIDGE_TESTS_BENCH_BENCH_REPLICAS_H_

#include <vector>

#include "absl/status/status.h"
#include "tests/harness/slapd.h"

namespace dirbridge::bench {

// Two cloud_svc replicas on the harness's PostgreSQL (TLS: the peer hop is
// mutual TLS, as in production) and one connector held by the first.
// For each repeat, `calls` sequential PingConnector calls alternate
// between the holder (the floor) and the other replica (one hop more);
// their p50s in ms go to *held and *forwarded.
absl::Status ForwardedRoundTrips(const testing::Slapd& slapd, int repeats, int calls,
                                 std::vector<double>* held, std::vector<double>* forwarded);

}  // namespace dirbridge::bench

#endif  // DIRBRIDGE_TESTS_BENCH_BENCH_REPLICAS_H_
