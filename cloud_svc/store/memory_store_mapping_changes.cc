// MemoryStore: a mapping changed or deleted (Mappings.UpdateMapping and
// DeleteMapping), as the SQLite store does it.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/memory_store.h"

namespace dirbridge::cloud {

absl::StatusOr<MappingRecord> MemoryStore::UpdateMapping(const MappingRecord& m) {
  FaultInjector::Call call = faults_.Enter("UpdateMapping");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  MappingRecord* stored = FindMapping(m.tenant_id, m.mapping_id);
  if (stored == nullptr) {
    return absl::NotFoundError(absl::StrCat("mapping \"", m.mapping_id, "\" not found"));
  }
  stored->name = m.name;
  stored->base_dn = m.base_dn;
  // As a DN list survives SQLite's one-per-line column: empty entries drop.
  stored->ou_dns = m.ou_dns;
  stored->ou_dns.erase(std::remove(stored->ou_dns.begin(), stored->ou_dns.end(), ""),
                       stored->ou_dns.end());
  stored->group_dns = m.group_dns;
  stored->group_dns.erase(std::remove(stored->group_dns.begin(), stored->group_dns.end(), ""),
                          stored->group_dns.end());
  stored->sync_interval = absl::Seconds(absl::ToInt64Seconds(m.sync_interval));
  stored->next_run_at = m.next_run_at;
  stored->watermark = m.watermark;
  stored->watermark_server = m.watermark_server;
  return *stored;
}

absl::StatusOr<uint64_t> MemoryStore::DeleteMapping(absl::string_view tenant_id,
                                                    absl::string_view mapping_id,
                                                    absl::Time now) {
  FaultInjector::Call call = faults_.Enter("DeleteMapping");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  if (FindMapping(tenant_id, mapping_id) == nullptr) {
    return absl::NotFoundError(absl::StrCat("mapping \"", mapping_id, "\" not found"));
  }
  mappings_.erase(mappings_.find(mapping_id));
  for (auto it = deployment_tokens_.begin(); it != deployment_tokens_.end();) {
    bool ours = it->second.tenant_id == tenant_id && it->second.mapping_id == mapping_id;
    it = ours ? deployment_tokens_.erase(it) : std::next(it);
  }
  uint64_t marked = 0;
  for (auto& [id, u] : users_) {
    if (u.record.tenant_id != tenant_id || u.record.mapping_id != mapping_id ||
        u.record.state != UserState::kActive) {
      continue;
    }
    u.record.state = UserState::kNotInDirectory;
    u.record.imported_at = now;
    ++marked;
  }
  return marked;
}

}  // namespace dirbridge::cloud
