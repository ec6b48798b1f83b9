#ifndef DIRBRIDGE_CLOUD_SVC_API_AUTH_THROTTLE_H_
#define DIRBRIDGE_CLOUD_SVC_API_AUTH_THROTTLE_H_

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dirbridge::cloud {

struct ThrottleLimits {
  // Failed logins allowed in a burst, refilled evenly over `window`.
  int per_user = 10;
  int per_tenant = 1000;
  absl::Duration window = absl::Minutes(15);
  // Users with a bucket, over all tenants: the throttle's memory is
  // bounded (about 100 bytes a bucket). A tenant's failures are capped
  // by per_tenant, so no one tenant fills it while per_tenant stays far
  // below max_buckets.
  size_t max_buckets = 100000;
};

// The name a throttle bucket is kept under: the user the directory will
// resolve, whichever way the name was typed. The connector reads `X\alice`
// as alice (the domain is not checked) and `alice@corp` as a UPN or as
// alice (connector_svc/ldap/user_filter.h); the cloud does not know which,
// so it takes the reading that merges the most: a DOMAIN\ prefix and an
// @domain suffix are dropped and the rest lower-cased. `X\alice`,
// `Y\alice`, `alice@corp` and `ALICE` share one bucket: a guesser gains
// nothing by spelling the name another way. (Two users differing only in
// a UPN suffix share a bucket too: the throttle errs towards refusing.)
std::string ThrottleUsername(absl::string_view username);

// Token buckets of failed logins per (tenant, user) and per tenant. A login
// is refused before it reaches a connector (no LDAP traffic, so no AD
// lockout either) while either bucket is empty. Only failures make
// buckets; at max_buckets the refilled ones go first, then those nearest
// refilled (the least information), a tenth at a time. Thread-safe; the
// clock is injectable for tests.
class AuthThrottle {
 public:
  explicit AuthThrottle(ThrottleLimits limits, absl::Time (*now)() = &absl::Now)
      : limits_(limits), now_(now) {}

  bool Allow(const std::string& tenant_id, const std::string& username);
  void RecordFailure(const std::string& tenant_id, const std::string& username);
  // Buckets held now, per user and per tenant (for tests and metrics).
  size_t user_buckets() const;

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  double Refill(Bucket& b, int capacity, absl::Time now) const;
  // The bucket's tokens now, without making one: full when there is none.
  double Peek(absl::flat_hash_map<std::string, Bucket>& map, const std::string& key,
              int capacity, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Bucket& Get(absl::flat_hash_map<std::string, Bucket>& map, const std::string& key,
              int capacity, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes room for one more user bucket.
  void Evict(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static std::string UserKey(const std::string& tenant_id, const std::string& username);

  const ThrottleLimits limits_;
  absl::Time (*const now_)();
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> users_ ABSL_GUARDED_BY(mu_);
  // One per tenant with failures: as many as there are tenants.
  absl::flat_hash_map<std::string, Bucket> tenants_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_AUTH_THROTTLE_H_
