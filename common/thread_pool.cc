#include "common/thread_pool.h"

#include "absl/strings/str_cat.h"

namespace dirbridge {

ThreadPool::ThreadPool(int threads) : ThreadPool(threads, SIZE_MAX) {}

ThreadPool::ThreadPool(int threads, size_t max_queued) : max_queued_(max_queued) {
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

ThreadPool::~ThreadPool() { Stop(); }

void ThreadPool::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    work_ready_.SignalAll();
  }
  for (std::thread& t : threads_) t.join();
}

void ThreadPool::Schedule(absl::AnyInvocable<void()> work) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(work));
  // One closure, one thread woken: a condition on the mutex would have
  // every idle thread look at the queue on every unlock.
  work_ready_.Signal();
}

bool ThreadPool::TrySchedule(absl::AnyInvocable<void()> work) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= max_queued_) return false;
  queue_.push_back(std::move(work));
  work_ready_.Signal();
  return true;
}

void ThreadPool::Loop() {
  while (true) {
    absl::AnyInvocable<void()> work;
    {
      absl::MutexLock lock(&mu_);
      while (!stopping_ && queue_.empty()) work_ready_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping, and nothing left to run
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

absl::Status QueueFullError(const ThreadPool& pool, absl::string_view who) {
  return absl::ResourceExhaustedError(absl::StrCat(
      who, " is overloaded: ", pool.max_queued(),
      " calls already wait for the store; retry with backoff"));
}

}  // namespace dirbridge
