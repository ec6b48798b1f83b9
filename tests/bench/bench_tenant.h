#ifndef DIRBRIDGE_TESTS_BENCH_BENCH_TENANT_H_
#define DIRBRIDGE_TESTS_BENCH_BENCH_TENANT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dirbridge/v1/mappings.grpc.pb.h"
#include "tests/harness/slapd.h"
#include "tests/harness/stack.h"

namespace dirbridge::bench {

// A tenant with one running connector sized for the bench.
struct TenantStack {
  testing::Tenant tenant;
  std::unique_ptr<testing::ConnectorSvc> connector;
};

// A new tenant of `cloud`, with a connector on `slapd`, connected.
absl::StatusOr<TenantStack> NewTenant(testing::CloudSvc& cloud, const testing::Slapd& slapd,
                                      const std::string& name, int concurrency);

// ImportUsers of the whole directory under `suffix` (a first run) through
// a cloud_svc of its own on the harness's PostgreSQL, with a fresh
// database: its wall time in ms, and its report.
absl::StatusOr<double> PostgresImportMs(const testing::Slapd& slapd, const std::string& suffix,
                                        int concurrency, v1::ImportReport* report);

}  // namespace dirbridge::bench

#endif  // DIRBRIDGE_TESTS_BENCH_BENCH_TENANT_H_
