#ifndef DIRBRIDGE_CLOUD_SVC_JOBS_IMPORT_POOL_H_
#define DIRBRIDGE_CLOUD_SVC_JOBS_IMPORT_POOL_H_

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/thread_pool.h"

namespace dirbridge::cloud {

struct ImportPoolOptions {
  // Imports running at once, over all tenants (--import_threads).
  int threads = 8;
  // Imports one tenant may have running or waiting (--imports_per_tenant).
  // Below `threads`, so that no tenant holds every worker.
  int per_tenant = 2;
  // Imports waiting for a worker, over all tenants (--import_queue).
  size_t max_queued = 64;
};

// The one pool every import runs on, on demand (ImportUsers) or scheduled.
// Imports are long (up to --import_timeout) and block a thread each, and
// the pool is shared by every tenant: a tenant past `per_tenant` is refused
// instead of queued, so one tenant's stalled or huge imports wait behind
// its own and never fill the workers or the queue for the others. Only a
// full queue (every tenant together) refuses everyone. Thread-safe.
class ImportPool {
 public:
  explicit ImportPool(ImportPoolOptions options);
  ~ImportPool();  // Runs what is queued, then joins.

  // Runs `job` for `tenant_id` on a worker. RESOURCE_EXHAUSTED, naming
  // the limit and its flag, when the tenant has per_tenant imports running
  // or queued already, or when the queue is full.
  absl::Status Submit(const std::string& tenant_id, absl::AnyInvocable<void()> job);
  // Whether Submit would refuse the tenant for its own limit now (the
  // scheduler skips it then, and tries again next tick).
  bool AtLimit(const std::string& tenant_id) const;
  // Imports the tenant has running or queued.
  int Active(const std::string& tenant_id) const;

 private:
  void Done(const std::string& tenant_id);

  const ImportPoolOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> active_ ABSL_GUARDED_BY(mu_);
  // Last: stopped and joined first, while active_ is still there.
  ThreadPool workers_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_JOBS_IMPORT_POOL_H_
