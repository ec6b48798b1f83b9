#ifndef DIRBRIDGE_CONNECTOR_SVC_CALL_H_
#define DIRBRIDGE_CONNECTOR_SVC_CALL_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "connector_svc/ldap/directory.h"

namespace dirbridge::connector {

// One call from the cloud, while its handler runs. Cancel frames, the
// deadline and the end of the tunnel all reach the handler through it.
// Thread-safe.
class Call {
 public:
  Call(uint64_t id, absl::Time deadline) : id_(id), deadline_(deadline) {}

  uint64_t id() const { return id_; }
  OpContext op_context() const { return OpContext{deadline_, &cancelled_}; }
  void Cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_.load(); }

  // Streamed chunks: each takes one credit. Blocks until one is there;
  // false when the call was cancelled or its deadline passed first.
  bool TakeCredit();
  // Takes a credit if one is there, without waiting.
  bool TryTakeCredit();
  void AddCredit(uint32_t n);

 private:
  const uint64_t id_;
  const absl::Time deadline_;
  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  int64_t credits_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_CALL_H_
