// MemoryStore: what the per-tenant quotas count.

#include <algorithm>

#include "cloud_svc/store/memory_store.h"

namespace dirbridge::cloud {

absl::StatusOr<uint64_t> MemoryStore::CountConnectors(absl::string_view tenant_id) {
  FaultInjector::Call call = faults_.Enter("CountConnectors");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  return std::count_if(connectors_.begin(), connectors_.end(), [&](const auto& c) {
    return !c.second.deleted && c.second.record.tenant_id == tenant_id;
  });
}

absl::StatusOr<uint64_t> MemoryStore::CountMappings(absl::string_view tenant_id) {
  FaultInjector::Call call = faults_.Enter("CountMappings");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  return std::count_if(mappings_.begin(), mappings_.end(),
                       [&](const auto& m) { return m.second.tenant_id == tenant_id; });
}

absl::StatusOr<uint64_t> MemoryStore::CountLiveDeploymentTokens(absl::string_view tenant_id,
                                                                absl::Time now) {
  FaultInjector::Call call = faults_.Enter("CountLiveDeploymentTokens");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  return std::count_if(deployment_tokens_.begin(), deployment_tokens_.end(), [&](const auto& t) {
    return t.second.tenant_id == tenant_id && t.second.expires_at > now;
  });
}

absl::StatusOr<uint64_t> MemoryStore::CountDevices(absl::string_view tenant_id) {
  FaultInjector::Call call = faults_.Enter("CountDevices");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  return std::count_if(devices_.begin(), devices_.end(),
                       [&](const Device& d) { return d.tenant_id == tenant_id; });
}

}  // namespace dirbridge::cloud
