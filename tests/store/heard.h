#ifndef DIRBRIDGE_TESTS_STORE_HEARD_H_
#define DIRBRIDGE_TESTS_STORE_HEARD_H_

// What a Store::WatchSessions callback heard, for the conformance suite and
// PostgresStore's own tests. Held by shared_ptr: the callback runs on the
// store's thread and may run after the test body, until the store is gone.

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dirbridge::cloud {

struct Heard {
  absl::Mutex mu;
  std::vector<std::string> tenants ABSL_GUARDED_BY(mu);
  // Set by a callback that saw something wrong where it ran (the caller's
  // thread, a store it could not read): checked once, at the end.
  bool wrong ABSL_GUARDED_BY(mu) = false;

  // Waits until `tenant_id` was heard, then forgets what was heard, so the
  // next wait sees only what came after.
  bool WaitFor(const std::string& tenant_id, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu);
    auto heard = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return std::find(tenants.begin(), tenants.end(), tenant_id) != tenants.end();
    };
    bool ok = mu.AwaitWithTimeout(absl::Condition(&heard), timeout);
    tenants.clear();
    return ok;
  }
};

// A WatchSessions callback that only records each tenant into `heard`.
inline std::function<void(const std::string&)> Into(std::shared_ptr<Heard> heard) {
  return [heard](const std::string& tenant_id) {
    absl::MutexLock lock(&heard->mu);
    heard->tenants.push_back(tenant_id);
  };
}

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_TESTS_STORE_HEARD_H_
