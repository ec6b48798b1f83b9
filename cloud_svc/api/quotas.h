#ifndef DIRBRIDGE_CLOUD_SVC_API_QUOTAS_H_
#define DIRBRIDGE_CLOUD_SVC_API_QUOTAS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dirbridge::cloud {

// What one tenant may hold. cloud_svc is shared by every tenant: without a
// bound, one tenant's script that creates objects in a loop fills the
// store (and slows every query) for all of them. Defaults leave room for
// the largest customers; the flags raise them per deployment.
struct TenantQuotas {
  uint64_t max_connectors = 50;             // --max_connectors_per_tenant
  uint64_t max_mappings = 200;              // --max_mappings_per_tenant
  uint64_t max_deployment_tokens = 1000;    // --max_deployment_tokens_per_tenant (unexpired)
  uint64_t max_devices = 1000000;           // --max_devices_per_tenant
};

// OK while `count` is below `limit`; RESOURCE_EXHAUSTED naming the quota
// (`what`, e.g. "connectors") and its flag once the tenant holds `limit`
// already; the count's own error when it failed.
//
// The count and the insert after it are two store calls, not one
// transaction: racing creations of one tenant may overshoot the quota by
// at most the number that run at once (the store pool's threads, a
// handful). A quota bounds a tenant's share, so a handful over is harmless,
// and the store interfaces stay free of policy.
absl::Status CheckQuota(const absl::StatusOr<uint64_t>& count, uint64_t limit,
                        absl::string_view what, absl::string_view flag);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_QUOTAS_H_
