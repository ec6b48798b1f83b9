#include "cloud_svc/api/auth_throttle.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dirbridge::cloud {

std::string ThrottleUsername(absl::string_view username) {
  // As user_filter.cc reads them: a backslash with something either side,
  // the last '@' with something either side.
  size_t backslash = username.find('\\');
  if (backslash != absl::string_view::npos && backslash > 0 && backslash + 1 < username.size()) {
    username.remove_prefix(backslash + 1);
  }
  size_t at = username.rfind('@');
  if (at != absl::string_view::npos && at > 0 && at + 1 < username.size()) {
    username = username.substr(0, at);
  }
  // Directory names compare without case: "Alice" and "alice" share a bucket.
  return absl::AsciiStrToLower(username);
}

std::string AuthThrottle::UserKey(const std::string& tenant_id, const std::string& username) {
  return absl::StrCat(tenant_id, "/", ThrottleUsername(username));
}

double AuthThrottle::Refill(Bucket& b, int capacity, absl::Time now) const {
  double rate = capacity / absl::ToDoubleSeconds(limits_.window);
  b.tokens = std::min<double>(capacity, b.tokens + rate * absl::ToDoubleSeconds(now - b.updated));
  b.updated = now;
  return b.tokens;
}

double AuthThrottle::Peek(absl::flat_hash_map<std::string, Bucket>& map, const std::string& key,
                          int capacity, absl::Time now) {
  auto it = map.find(key);
  return it == map.end() ? capacity : Refill(it->second, capacity, now);
}

AuthThrottle::Bucket& AuthThrottle::Get(absl::flat_hash_map<std::string, Bucket>& map,
                                        const std::string& key, int capacity,
                                        absl::Time now) {
  auto [it, inserted] = map.try_emplace(key, Bucket{static_cast<double>(capacity), now});
  if (!inserted) Refill(it->second, capacity, now);
  return it->second;
}

void AuthThrottle::Evict(absl::Time now) {
  // Full buckets carry no information: they go first.
  absl::erase_if(users_, [&](auto& kv) {
    return Refill(kv.second, limits_.per_user, now) >= limits_.per_user;
  });
  size_t target = std::max<size_t>(limits_.max_buckets, 1) * 9 / 10;
  if (users_.size() <= target) return;
  // Then those nearest full, down to 90%, so that a sweep is paid for by
  // a tenth of the cap's insertions.
  std::vector<double> tokens;
  tokens.reserve(users_.size());
  for (const auto& [key, b] : users_) tokens.push_back(b.tokens);
  size_t drop = users_.size() - target;
  std::nth_element(tokens.begin(), tokens.begin() + (tokens.size() - drop), tokens.end());
  double threshold = tokens[tokens.size() - drop];
  for (auto it = users_.begin(); it != users_.end() && drop > 0;) {
    if (it->second.tokens >= threshold) {
      users_.erase(it++);
      --drop;
    } else {
      ++it;
    }
  }
}

bool AuthThrottle::Allow(const std::string& tenant_id, const std::string& username) {
  absl::MutexLock lock(&mu_);
  absl::Time now = now_();
  return Peek(users_, UserKey(tenant_id, username), limits_.per_user, now) >= 1 &&
         Peek(tenants_, tenant_id, limits_.per_tenant, now) >= 1;
}

void AuthThrottle::RecordFailure(const std::string& tenant_id, const std::string& username) {
  absl::MutexLock lock(&mu_);
  absl::Time now = now_();
  std::string key = UserKey(tenant_id, username);
  if (users_.size() >= std::max<size_t>(limits_.max_buckets, 1) && !users_.contains(key)) {
    Evict(now);
  }
  Bucket& u = Get(users_, key, limits_.per_user, now);
  u.tokens = std::max(0.0, u.tokens - 1);
  Bucket& t = Get(tenants_, tenant_id, limits_.per_tenant, now);
  t.tokens = std::max(0.0, t.tokens - 1);
}

size_t AuthThrottle::user_buckets() const {
  absl::MutexLock lock(&mu_);
  return users_.size();
}

}  // namespace dirbridge::cloud
