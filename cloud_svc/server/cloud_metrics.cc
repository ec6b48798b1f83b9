#include "cloud_svc/server/cloud_metrics.h"

namespace dirbridge::cloud {
namespace {

void DescribeCloudMetrics() {
  Metrics& m = Metrics::Get();
  m.Describe("dirbridge_connectors_connected", "gauge", "Connectors connected, per tenant.");
  m.Describe("dirbridge_connector_sessions_total", "counter", "Tunnel sessions accepted.");
  m.Describe("dirbridge_calls_total", "counter", "Calls routed to connectors, by method and status.");
  m.Describe("dirbridge_call_seconds", "histogram", "Latency of routed calls, backend to answer.");
  m.Describe("dirbridge_imports_total", "counter", "Imports, by result (complete, failed, held).");
  m.Describe("dirbridge_imported_users_total", "counter", "Users seen by complete imports.");
  m.Set("dirbridge_connectors_connected", {}, 0);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> StartCloudMetrics(const std::string& addr,
                                                                 SessionRegistry* registry) {
  DescribeCloudMetrics();
  Metrics::Get().AddCollector([registry](Metrics& m) {
    m.ClearGauge("dirbridge_connectors_connected");
    for (const auto& [tenant, n] : registry->CountByTenant()) {
      m.Set("dirbridge_connectors_connected", {{"tenant", tenant}}, n);
    }
  });
  return MetricsServer::Start(addr);
}

}  // namespace dirbridge::cloud
