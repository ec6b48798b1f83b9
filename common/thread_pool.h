#ifndef DIRBRIDGE_COMMON_THREAD_POOL_H_
#define DIRBRIDGE_COMMON_THREAD_POOL_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace dirbridge {

// A fixed set of threads running queued closures in order of arrival. gRPC
// callback reactions must never block, so blocking work (LDAP, SQLite) is
// handed to one of these. Thread-safe. The destructor runs what is queued,
// then joins.
class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Schedule(absl::AnyInvocable<void()> work);

 private:
  void Loop();

  absl::Mutex mu_;
  absl::CondVar work_ready_;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_THREAD_POOL_H_
