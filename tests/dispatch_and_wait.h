#ifndef DIRBRIDGE_TESTS_DISPATCH_AND_WAIT_H_
#define DIRBRIDGE_TESTS_DISPATCH_AND_WAIT_H_

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "connector_svc/call.h"
#include "connector_svc/dispatcher.h"
#include "gtest/gtest.h"

namespace dirbridge::connector {

// Dispatches `request` as the tunnel does, with a call that ends
// `call_timeout` from now, and waits for its one reply. Chunks the handler
// emitted before replying are appended to `chunks`. A call that does not
// reply within `wait` fails the test and reads as INTERNAL.
inline v1::CallResult DispatchAndWait(Dispatcher& dispatcher, const v1::CallRequest& request,
                                      absl::Duration call_timeout,
                                      std::vector<v1::ResultChunk>* chunks = nullptr,
                                      absl::Duration wait = absl::Seconds(30)) {
  // Shared with the handler: it may outlive a wait that gave up.
  struct Outcome {
    absl::Mutex mu;
    bool replied ABSL_GUARDED_BY(mu) = false;
    v1::CallResult result ABSL_GUARDED_BY(mu);
    std::vector<v1::ResultChunk> chunks ABSL_GUARDED_BY(mu);
  };
  auto outcome = std::make_shared<Outcome>();
  auto call = std::make_shared<Call>(request.call_id(), absl::Now() + call_timeout);
  dispatcher.Dispatch(
      request, call,
      [outcome](v1::CallResult r) {
        absl::MutexLock lock(&outcome->mu);
        outcome->result = std::move(r);
        outcome->replied = true;
      },
      [outcome](v1::ResultChunk c) {
        absl::MutexLock lock(&outcome->mu);
        outcome->chunks.push_back(std::move(c));
      });
  absl::MutexLock lock(&outcome->mu);
  if (!outcome->mu.AwaitWithTimeout(absl::Condition(&outcome->replied), wait)) {
    call->Cancel();
    ADD_FAILURE() << "call " << request.call_id() << " sent no reply within " << wait;
    v1::CallResult none;
    none.set_call_id(request.call_id());
    none.set_code(static_cast<int>(absl::StatusCode::kInternal));
    none.set_message("no reply");
    return none;
  }
  if (chunks != nullptr) {
    for (v1::ResultChunk& c : outcome->chunks) chunks->push_back(std::move(c));
  }
  return std::move(outcome->result);
}

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_TESTS_DISPATCH_AND_WAIT_H_
