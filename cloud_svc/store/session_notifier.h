#ifndef DIRBRIDGE_CLOUD_SVC_STORE_SESSION_NOTIFIER_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_SESSION_NOTIFIER_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace dirbridge::cloud {

// PresenceStore::WatchSessions for a store whose replicas are all in one
// process (SQLite, the in-memory fake): a store call Notify()s, and the
// callback runs later on this object's own thread, never on the caller's
// stack, so a callback may call the store without deadlocking on it.
// Repeated notices of one tenant still queued are folded into one. The
// destructor stops the thread after the callback in progress, if any.
// Thread-safe.
class SessionNotifier {
 public:
  SessionNotifier() = default;
  ~SessionNotifier();
  SessionNotifier(const SessionNotifier&) = delete;
  SessionNotifier& operator=(const SessionNotifier&) = delete;

  // Starts the thread; a second call is ignored (the contract says once).
  void Watch(std::function<void(const std::string& tenant_id)> on_change);
  // Queues `tenant_id` ("" for every tenant); a no-op before Watch.
  void Notify(const std::string& tenant_id);

 private:
  void Loop();

  absl::Mutex mu_;
  std::function<void(const std::string&)> on_change_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_SESSION_NOTIFIER_H_
