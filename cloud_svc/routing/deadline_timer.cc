#include "cloud_svc/routing/deadline_timer.h"

#include <algorithm>
#include <vector>

namespace dirbridge::cloud {
namespace {

// The longest the timer sleeps with nothing due sooner. A call armed with
// a later deadline than the timer's next wake needs no wake of its own:
// one call at a time (each the only one armed) would otherwise cost a
// thread switch per call, one idle wake a second costs nothing.
constexpr absl::Duration kMaxSleep = absl::Seconds(1);

}  // namespace

DeadlineTimer::DeadlineTimer() { thread_ = std::thread([this] { Loop(); }); }

DeadlineTimer::~DeadlineTimer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

DeadlineTimer::Id DeadlineTimer::Arm(absl::Time when, absl::AnyInvocable<void()> fire) {
  absl::MutexLock lock(&mu_);
  Id id{when, next_++};
  armed_.emplace(id, std::move(fire));
  // Wake the timer only for a deadline before its own next wake: most
  // calls end long before theirs.
  if (when < sleeping_until_) ++earliest_changes_;
  return id;
}

void DeadlineTimer::Disarm(const Id& id) {
  absl::AnyInvocable<void()> dropped;
  absl::MutexLock lock(&mu_);
  auto it = armed_.find(id);
  if (it == armed_.end()) return;
  dropped = std::move(it->second);  // destroyed after the lock is let go
  armed_.erase(it);
}

size_t DeadlineTimer::armed() const {
  absl::MutexLock lock(&mu_);
  return armed_.size();
}

uint64_t DeadlineTimer::wakes() const {
  absl::MutexLock lock(&mu_);
  return earliest_changes_;
}

void DeadlineTimer::Loop() {
  while (true) {
    std::vector<absl::AnyInvocable<void()>> due;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (stop_) return;
        absl::Time now = absl::Now();
        absl::Time wake = now + kMaxSleep;
        if (!armed_.empty()) wake = std::min(wake, armed_.begin()->first.first);
        if (wake <= now) break;
        // Sleep until then, or until an earlier deadline is armed.
        uint64_t seen = earliest_changes_;
        auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stop_ || earliest_changes_ != seen;
        };
        sleeping_until_ = wake;
        mu_.AwaitWithDeadline(absl::Condition(&changed), wake);
        sleeping_until_ = absl::InfinitePast();
        if (!armed_.empty() && armed_.begin()->first.first <= absl::Now()) break;
      }
      absl::Time now = absl::Now();
      while (!armed_.empty() && armed_.begin()->first.first <= now) {
        due.push_back(std::move(armed_.begin()->second));
        armed_.erase(armed_.begin());
      }
    }
    for (auto& fire : due) fire();
  }
}

}  // namespace dirbridge::cloud
