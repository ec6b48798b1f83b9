#ifndef DIRBRIDGE_COMMON_THREAD_POOL_H_
#define DIRBRIDGE_COMMON_THREAD_POOL_H_

#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace dirbridge {

// A fixed set of threads running queued closures in order of arrival. gRPC
// callback reactions must never block, so blocking work (LDAP, SQLite) is
// handed to one of these. Thread-safe. The destructor runs what is queued,
// then joins.
class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  // At most `max_queued` closures wait for a thread; TrySchedule refuses
  // more. A queue a peer can fill must have a bound.
  ThreadPool(int threads, size_t max_queued);
  ~ThreadPool();  // Stop()
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `work` whatever the bound (work the process itself makes, in
  // amounts it controls).
  void Schedule(absl::AnyInvocable<void()> work);
  // Queues `work` unless max_queued closures wait already; false then, and
  // `work` is dropped unrun. For work that callers can make more of.
  bool TrySchedule(absl::AnyInvocable<void()> work);
  size_t max_queued() const { return max_queued_; }
  // Runs what is queued, then stops the threads; TrySchedule refuses from
  // then on. For owners that must drain before what the closures use goes.
  void Stop();

 private:
  void Loop();

  const size_t max_queued_ = SIZE_MAX;
  absl::Mutex mu_;
  absl::CondVar work_ready_;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

// What a caller hears when `pool`'s queue is full: RESOURCE_EXHAUSTED
// naming the bound, and that it should back off. `who` starts the message
// ("cloud_svc", "tunnel: cloud_svc").
absl::Status QueueFullError(const ThreadPool& pool, absl::string_view who);

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_THREAD_POOL_H_
