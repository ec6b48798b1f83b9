#ifndef DIRBRIDGE_CLOUD_SVC_STORE_FAULT_INJECTOR_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_FAULT_INJECTOR_H_

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dirbridge::cloud {

// Failures and hangs a fake injects into its own calls, by operation name
// (the method's name). A fake opens every call with Enter() and returns the
// Call's status when it is not OK; a hung call blocks inside Enter(), in the
// caller's thread, until Release(). Thread-safe.
class FaultInjector {
 public:
  // One call in progress; it holds the injector's destruction back until it
  // ends. Not copyable or movable: keep it in the method's scope.
  class Call {
   public:
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

    bool ok() const { return status_.ok(); }
    const absl::Status& status() const { return status_; }

   private:
    friend class FaultInjector;
    Call(FaultInjector* owner, absl::Status status) : owner_(owner), status_(std::move(status)) {}
    FaultInjector* owner_;
    absl::Status status_;
  };

  // `ops` lists every operation name the fake uses; naming any other one
  // (a typo in a test) aborts, so a fault cannot silently miss its call.
  explicit FaultInjector(std::vector<std::string> ops);
  // Releases hung calls (they return UNAVAILABLE) and waits until every
  // call in progress has ended.
  ~FaultInjector();

  // Counts a call of `op`, blocks while Hang() holds, then gives the
  // injected failure, if any, else OK.
  Call Enter(absl::string_view op);

  void FailAll(absl::Status status);
  void FailNext(absl::string_view op, absl::Status status);
  void Hang();
  void Release();
  bool WaitForHung(int n, absl::Duration timeout);
  int calls(absl::string_view op) const;
  void ClearFaults();

 private:
  void CheckKnown(absl::string_view op) const;
  void Leave();

  const std::set<std::string, std::less<>> ops_;
  mutable absl::Mutex mu_;
  std::map<std::string, int, std::less<>> calls_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> fail_all_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<absl::Status>, std::less<>> fail_next_ ABSL_GUARDED_BY(mu_);
  // Each Hang() starts an epoch; a call hung in epoch e waits until
  // released_epoch_ >= e, so Release(); Hang(); cannot strand it.
  bool hanging_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t hang_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t released_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  int hung_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool destroyed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_FAULT_INJECTOR_H_
