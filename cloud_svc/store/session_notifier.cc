#include "cloud_svc/store/session_notifier.h"

#include <algorithm>
#include <utility>

namespace dirbridge::cloud {

SessionNotifier::~SessionNotifier() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void SessionNotifier::Watch(std::function<void(const std::string&)> on_change) {
  absl::MutexLock lock(&mu_);
  if (on_change_) return;
  on_change_ = std::move(on_change);
  thread_ = std::thread([this] { Loop(); });
}

void SessionNotifier::Notify(const std::string& tenant_id) {
  absl::MutexLock lock(&mu_);
  if (!on_change_) return;
  if (std::find(queue_.begin(), queue_.end(), tenant_id) != queue_.end()) return;
  queue_.push_back(tenant_id);
}

void SessionNotifier::Loop() {
  while (true) {
    std::string tenant_id;
    std::function<void(const std::string&)> on_change;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stop_) return;
      tenant_id = std::move(queue_.front());
      queue_.pop_front();
      on_change = on_change_;
    }
    on_change(tenant_id);  // outside the lock: it may call the store
  }
}

}  // namespace dirbridge::cloud
