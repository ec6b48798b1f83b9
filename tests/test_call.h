#ifndef DIRBRIDGE_TESTS_TEST_CALL_H_
#define DIRBRIDGE_TESTS_TEST_CALL_H_

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "connector_svc/call.h"
#include "connector_svc/dispatcher.h"

namespace dirbridge::connector {

// One call dispatched as the tunnel does, with a Call the test made (its
// credits, its frame limit), watched while it runs: the chunks it sends
// and its reply.
class TestCall {
 public:
  TestCall(Dispatcher& dispatcher, const v1::CallRequest& request,
           std::shared_ptr<Call> call)
      : call_(std::move(call)), seen_(std::make_shared<Seen>()) {
    dispatcher.Dispatch(
        request, call_,
        [seen = seen_](v1::CallResult r) {
          absl::MutexLock lock(&seen->mu);
          seen->result = std::move(r);
          seen->replied = true;
        },
        [seen = seen_](v1::ResultChunk c) {
          absl::MutexLock lock(&seen->mu);
          seen->chunks.push_back(std::move(c));
        });
  }

  Call& call() { return *call_; }
  // Whether the reply came within `wait`.
  bool WaitReply(absl::Duration wait) {
    absl::MutexLock lock(&seen_->mu);
    return seen_->mu.AwaitWithTimeout(absl::Condition(&seen_->replied), wait);
  }
  // Whether `n` chunks came within `wait`.
  bool WaitChunks(size_t n, absl::Duration wait) {
    absl::MutexLock lock(&seen_->mu);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(seen_->mu) {
      return seen_->chunks.size() >= n;
    };
    return seen_->mu.AwaitWithTimeout(absl::Condition(&enough), wait);
  }
  bool replied() {
    absl::MutexLock lock(&seen_->mu);
    return seen_->replied;
  }
  v1::CallResult result() {
    absl::MutexLock lock(&seen_->mu);
    return seen_->result;
  }
  std::vector<v1::ResultChunk> chunks() {
    absl::MutexLock lock(&seen_->mu);
    return seen_->chunks;
  }

 private:
  // Shared with the handler, which may outlive the test's wait.
  struct Seen {
    absl::Mutex mu;
    bool replied ABSL_GUARDED_BY(mu) = false;
    v1::CallResult result ABSL_GUARDED_BY(mu);
    std::vector<v1::ResultChunk> chunks ABSL_GUARDED_BY(mu);
  };
  std::shared_ptr<Call> call_;
  std::shared_ptr<Seen> seen_;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_TESTS_TEST_CALL_H_
