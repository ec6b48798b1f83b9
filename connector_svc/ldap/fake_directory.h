#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_FAKE_DIRECTORY_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_FAKE_DIRECTORY_H_

#include "absl/synchronization/mutex.h"
#include "connector_svc/ldap/directory.h"

namespace dirbridge::connector {

// In-memory Directory for tests, with injectable failures and a way to make
// an operation hang until its context ends (as a frozen server would).
class FakeDirectory : public Directory {
 public:
  void SetNamingContexts(NamingContexts nc) {
    absl::MutexLock lock(&mu_);
    naming_contexts_ = std::move(nc);
  }
  // Every operation fails with `status` (OK clears it).
  void FailWith(absl::Status status) {
    absl::MutexLock lock(&mu_);
    failure_ = std::move(status);
  }
  // Operations block until cancelled or past their deadline.
  void Hang(bool hang) {
    absl::MutexLock lock(&mu_);
    hang_ = hang;
  }

  absl::StatusOr<NamingContexts> ListNamingContexts(const OpContext& ctx) override {
    absl::MutexLock lock(&mu_);
    if (hang_) {
      while (!ctx.Cancelled() && absl::Now() < ctx.deadline) {
        mu_.AwaitWithTimeout(absl::Condition(+[](bool* h) { return !*h; }, &hang_),
                             absl::Milliseconds(10));
        if (!hang_) break;
      }
      if (ctx.Cancelled()) return absl::CancelledError("fake: cancelled");
      if (hang_) return absl::DeadlineExceededError("fake: deadline");
    }
    if (!failure_.ok()) return failure_;
    return naming_contexts_;
  }

  bool Healthy() const override {
    absl::MutexLock lock(&mu_);
    return failure_.ok();
  }

 private:
  mutable absl::Mutex mu_;
  NamingContexts naming_contexts_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  bool hang_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_FAKE_DIRECTORY_H_
