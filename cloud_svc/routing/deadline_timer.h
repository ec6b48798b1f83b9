#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_DEADLINE_TIMER_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_DEADLINE_TIMER_H_

#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dirbridge::cloud {

// Runs each armed closure at its time, from one thread for every call in
// flight: the cloud's own deadline on routed calls, whether or not the
// backend set one. Closures run without the timer's lock and must not
// block. Thread-safe.
class DeadlineTimer {
 public:
  using Id = std::pair<absl::Time, uint64_t>;

  DeadlineTimer();
  ~DeadlineTimer();  // Drops what has not fired.
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  Id Arm(absl::Time when, absl::AnyInvocable<void()> fire);
  // The call ended first: its closure never runs (no-op if it ran).
  void Disarm(const Id& id);
  size_t armed() const;
  // How often Arm woke the timer thread (for tests).
  uint64_t wakes() const;

 private:
  void Loop();

  mutable absl::Mutex mu_;
  std::map<Id, absl::AnyInvocable<void()>> armed_ ABSL_GUARDED_BY(mu_);
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t earliest_changes_ ABSL_GUARDED_BY(mu_) = 0;
  // When the timer thread wakes by itself; InfinitePast while it is awake.
  absl::Time sleeping_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_DEADLINE_TIMER_H_
