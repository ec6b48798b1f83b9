#include "cloud_svc/jobs/import_pool.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace dirbridge::cloud {

ImportPool::ImportPool(ImportPoolOptions options)
    : options_(options), workers_(options.threads, options.max_queued) {}

ImportPool::~ImportPool() { workers_.Stop(); }

absl::Status ImportPool::Submit(const std::string& tenant_id, absl::AnyInvocable<void()> job) {
  {
    absl::MutexLock lock(&mu_);
    int& active = active_[tenant_id];
    if (active >= options_.per_tenant) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "this tenant has ", active, " imports running or waiting, its limit (",
          options_.per_tenant, ", --imports_per_tenant); retry when one ends"));
    }
    ++active;
  }
  bool queued = workers_.TrySchedule([this, tenant_id, job = std::move(job)]() mutable {
    job();
    Done(tenant_id);
  });
  if (!queued) {
    Done(tenant_id);
    return absl::ResourceExhaustedError(absl::StrCat(
        "cloud_svc has ", options_.max_queued,
        " imports waiting for a worker already (--import_queue); retry with backoff"));
  }
  return absl::OkStatus();
}

void ImportPool::Done(const std::string& tenant_id) {
  absl::MutexLock lock(&mu_);
  auto it = active_.find(tenant_id);
  if (it != active_.end() && --it->second <= 0) active_.erase(it);
}

bool ImportPool::AtLimit(const std::string& tenant_id) const {
  return Active(tenant_id) >= options_.per_tenant;
}

int ImportPool::Active(const std::string& tenant_id) const {
  absl::MutexLock lock(&mu_);
  auto it = active_.find(tenant_id);
  return it == active_.end() ? 0 : it->second;
}

}  // namespace dirbridge::cloud
