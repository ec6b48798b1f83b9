#ifndef DIRBRIDGE_CLOUD_SVC_API_AUTH_THROTTLE_H_
#define DIRBRIDGE_CLOUD_SVC_API_AUTH_THROTTLE_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dirbridge::cloud {

struct ThrottleLimits {
  // Failed logins allowed in a burst, refilled evenly over `window`.
  int per_user = 10;
  int per_tenant = 1000;
  absl::Duration window = absl::Minutes(15);
};

// Token buckets of failed logins per (tenant, username) and per tenant. A
// login is refused before it reaches a connector (no LDAP traffic, so no AD
// lockout either) while either bucket is empty. Thread-safe; the clock is
// injectable for tests.
class AuthThrottle {
 public:
  explicit AuthThrottle(ThrottleLimits limits, absl::Time (*now)() = &absl::Now)
      : limits_(limits), now_(now) {}

  bool Allow(const std::string& tenant_id, const std::string& username);
  void RecordFailure(const std::string& tenant_id, const std::string& username);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  double Refill(Bucket& b, int capacity, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Bucket& Get(absl::flat_hash_map<std::string, Bucket>& map, const std::string& key,
              int capacity, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static std::string UserKey(const std::string& tenant_id, const std::string& username);

  const ThrottleLimits limits_;
  absl::Time (*const now_)();
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> users_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Bucket> tenants_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_AUTH_THROTTLE_H_
