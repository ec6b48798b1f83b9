#include "connector_svc/call.h"

namespace dirbridge::connector {

bool Call::TakeCredit() {
  absl::MutexLock lock(&mu_);
  // Cancel does not take mu_, so the wait wakes in slices to look at it.
  while (credits_ <= 0) {
    if (cancelled_ || absl::Now() >= deadline_) return false;
    mu_.AwaitWithTimeout(
        absl::Condition(+[](int64_t* c) { return *c > 0; }, &credits_),
        absl::Milliseconds(50));
  }
  --credits_;
  return true;
}

bool Call::TryTakeCredit() {
  absl::MutexLock lock(&mu_);
  if (credits_ <= 0) return false;
  --credits_;
  return true;
}

void Call::AddCredit(uint32_t n) {
  absl::MutexLock lock(&mu_);
  credits_ += n;
}

}  // namespace dirbridge::connector
