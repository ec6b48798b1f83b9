#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_EVENT_LOOP_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_EVENT_LOOP_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "connector_svc/ldap/directory.h"
#include "connector_svc/ldap/ldap_connection.h"

namespace dirbridge::connector {

// One thread waiting on many LDAP connections at once. A worker thread
// blocked in poll() per operation costs a context switch at every step
// (the hand-off to the worker, each reply); under a login burst that was a
// quarter of the connector's CPU on a 2-core machine. Here one epoll_wait
// collects every reply that has come in, and each operation's continuation
// runs on this thread, so continuations must never block: they read the
// result, start the next operation, or hand the rest to a worker pool.
// Thread-safe.
class LdapEventLoop {
 public:
  using OnResult = absl::AnyInvocable<void(absl::StatusOr<LdapMessagePtr>) &&>;

  LdapEventLoop();
  // Operations still watched end with CANCELLED (abandoned on the server),
  // then the thread is joined.
  ~LdapEventLoop();
  LdapEventLoop(const LdapEventLoop&) = delete;
  LdapEventLoop& operator=(const LdapEventLoop&) = delete;

  // Waits for the whole result of `msgid` on `conn`, then runs `on_result`
  // once on the loop's thread, with the result, with the connection's error,
  // or with CANCELLED / DEADLINE_EXCEEDED when `ctx` ends first (the
  // operation is then abandoned and the connection marked unusable). The
  // caller keeps `conn` alive and to itself until then.
  void Watch(LdapConnection* conn, int msgid, const OpContext& ctx, OnResult on_result);

 private:
  struct Pending {
    LdapConnection* conn;
    int msgid;
    OpContext ctx;
    absl::Time start;
    OnResult on_result;
  };

  void Loop();
  // Takes the result if it is in, ends the operation if its context has,
  // or watches it again.
  void Step(Pending p, bool stopping);
  void Add(Pending p);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop
  absl::Mutex mu_;
  absl::flat_hash_map<int, Pending> pending_ ABSL_GUARDED_BY(mu_);  // by socket
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_EVENT_LOOP_H_
