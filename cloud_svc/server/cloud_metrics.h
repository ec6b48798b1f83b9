#ifndef DIRBRIDGE_CLOUD_SVC_SERVER_CLOUD_METRICS_H_
#define DIRBRIDGE_CLOUD_SVC_SERVER_CLOUD_METRICS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cloud_svc/routing/session_registry.h"
#include "common/metrics.h"

namespace dirbridge::cloud {

// The --metrics_addr endpoint: describes cloud_svc's metrics, counts the
// connected connectors per tenant from `registry` at each scrape, and
// serves /metrics. `registry` must outlive the returned server.
absl::StatusOr<std::unique_ptr<MetricsServer>> StartCloudMetrics(const std::string& addr,
                                                                 SessionRegistry* registry);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_SERVER_CLOUD_METRICS_H_
