#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_CONNECTION_POOL_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_CONNECTION_POOL_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "connector_svc/ldap/directory.h"
#include "connector_svc/ldap/ldap_connection.h"

namespace dirbridge::connector {

// A bounded set of connections made by one dialer. New connections try the
// URIs in order, so a server that does not answer is skipped for the next.
// A connection that dies in use (AD drops idle ones after 900 s) is replaced
// and the operation tried once more. Thread-safe.
class ConnectionPool {
 public:
  using Dialer = std::function<absl::StatusOr<std::unique_ptr<LdapConnection>>(
      const std::string& uri, const OpContext& ctx)>;
  using Op = std::function<absl::Status(LdapConnection&)>;

  ConnectionPool(std::vector<std::string> uris, int size, Dialer dialer)
      : uris_(std::move(uris)), size_(size), dialer_(std::move(dialer)) {}

  absl::Status With(const OpContext& ctx, const Op& op);
  // An idle connection, or null when none is idle: never dials, never
  // waits, so it may be called where blocking is not allowed. Give it back
  // with Return.
  std::unique_ptr<LdapConnection> TryTakeIdle();
  // Back to the pool; a connection no longer usable is closed.
  void Return(std::unique_ptr<LdapConnection> conn) { Release(std::move(conn)); }
  // Whether the last dial reached a server that took the service bind.
  bool healthy() const { return healthy_.load(); }

 private:
  absl::StatusOr<std::unique_ptr<LdapConnection>> Acquire(const OpContext& ctx, bool fresh);
  void Release(std::unique_ptr<LdapConnection> conn);
  absl::StatusOr<std::unique_ptr<LdapConnection>> Dial(const OpContext& ctx);

  const std::vector<std::string> uris_;
  const int size_;
  const Dialer dialer_;
  std::atomic<bool> healthy_{false};
  absl::Mutex mu_;
  std::vector<std::unique_ptr<LdapConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + in use
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_CONNECTION_POOL_H_
