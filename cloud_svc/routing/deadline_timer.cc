#include "cloud_svc/routing/deadline_timer.h"

#include <vector>

namespace dirbridge::cloud {

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
  // Wake the timer only for a new earliest deadline: most calls end long
  // before theirs, and a wake per call would cost a thread switch each.
  if (armed_.begin()->first == id) ++earliest_changes_;
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

void DeadlineTimer::Loop() {
  while (true) {
    std::vector<absl::AnyInvocable<void()>> due;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (stop_) return;
        absl::Time wake =
            armed_.empty() ? absl::InfiniteFuture() : armed_.begin()->first.first;
        if (wake <= absl::Now()) break;
        // Sleep until then, or until an earlier deadline is armed.
        uint64_t seen = earliest_changes_;
        auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stop_ || earliest_changes_ != seen;
        };
        mu_.AwaitWithDeadline(absl::Condition(&changed), wake);
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
