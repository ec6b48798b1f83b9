#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DIRECTORY_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DIRECTORY_H_

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "connector_svc/ldap/directory.h"
#include "connector_svc/ldap/ldap_config.h"
#include "connector_svc/ldap/ldap_connection.h"

namespace dirbridge::connector {

// Directory over libldap: a small pool of service-bound connections. A
// connection the server dropped while idle is replaced on first use; a server
// that does not answer is skipped for the next URI in order.
class LdapDirectory : public Directory {
 public:
  static absl::StatusOr<std::unique_ptr<LdapDirectory>> New(const LdapConfig& config);

  absl::StatusOr<NamingContexts> ListNamingContexts(const OpContext& ctx) override;
  bool Healthy() const override { return healthy_.load(); }

 private:
  explicit LdapDirectory(LdapConfig config) : config_(std::move(config)) {}

  using Op = std::function<absl::Status(LdapConnection&)>;
  // Runs op on a pooled connection; once more on a fresh one when the pooled
  // connection turns out to be dead.
  absl::Status WithConnection(const OpContext& ctx, const Op& op);
  absl::StatusOr<std::unique_ptr<LdapConnection>> Acquire(const OpContext& ctx,
                                                          bool fresh);
  void Release(std::unique_ptr<LdapConnection> conn);
  absl::StatusOr<std::unique_ptr<LdapConnection>> Dial(const OpContext& ctx);

  const LdapConfig config_;
  std::atomic<bool> healthy_{false};
  absl::Mutex mu_;
  std::vector<std::unique_ptr<LdapConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + in use
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DIRECTORY_H_
