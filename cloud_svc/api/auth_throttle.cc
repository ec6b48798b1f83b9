#include "cloud_svc/api/auth_throttle.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dirbridge::cloud {

std::string AuthThrottle::UserKey(const std::string& tenant_id, const std::string& username) {
  // Directory names compare without case: "Alice" and "alice" share a bucket.
  return absl::StrCat(tenant_id, "/", absl::AsciiStrToLower(username));
}

double AuthThrottle::Refill(Bucket& b, int capacity, absl::Time now) {
  double rate = capacity / absl::ToDoubleSeconds(limits_.window);
  b.tokens = std::min<double>(capacity, b.tokens + rate * absl::ToDoubleSeconds(now - b.updated));
  b.updated = now;
  return b.tokens;
}

AuthThrottle::Bucket& AuthThrottle::Get(absl::flat_hash_map<std::string, Bucket>& map,
                                        const std::string& key, int capacity,
                                        absl::Time now) {
  auto [it, inserted] = map.try_emplace(key, Bucket{static_cast<double>(capacity), now});
  if (!inserted) Refill(it->second, capacity, now);
  return it->second;
}

bool AuthThrottle::Allow(const std::string& tenant_id, const std::string& username) {
  absl::MutexLock lock(&mu_);
  absl::Time now = now_();
  return Get(users_, UserKey(tenant_id, username), limits_.per_user, now).tokens >= 1 &&
         Get(tenants_, tenant_id, limits_.per_tenant, now).tokens >= 1;
}

void AuthThrottle::RecordFailure(const std::string& tenant_id, const std::string& username) {
  absl::MutexLock lock(&mu_);
  absl::Time now = now_();
  Bucket& u = Get(users_, UserKey(tenant_id, username), limits_.per_user, now);
  u.tokens = std::max(0.0, u.tokens - 1);
  Bucket& t = Get(tenants_, tenant_id, limits_.per_tenant, now);
  t.tokens = std::max(0.0, t.tokens - 1);
  // Full buckets carry no information: drop them so the map stays small.
  if (users_.size() > 100000) {
    absl::erase_if(users_, [&](auto& kv) {
      return Refill(kv.second, limits_.per_user, now) >= limits_.per_user;
    });
  }
}

}  // namespace dirbridge::cloud
