#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_DIRECTORY_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_DIRECTORY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto.h"
#include "common/thread_pool.h"
#include "dirbridge/v1/auth.pb.h"
#include "dirbridge/v1/directory.pb.h"

namespace dirbridge::connector {

// What bounds one directory operation: the call's deadline, its
// cancellation (a Cancel frame, or the tunnel going away), and how many
// bytes its answer may weigh serialized (one tunnel frame's worth).
struct OpContext {
  absl::Time deadline = absl::InfiniteFuture();
  const std::atomic<bool>* cancelled = nullptr;
  size_t max_answer_bytes = SIZE_MAX;

  bool Cancelled() const { return cancelled != nullptr && cancelled->load(); }
};

struct NamingContexts {
  std::vector<std::string> naming_contexts;
  std::string default_naming_context;
};

// The customer's directory as the connector sees it. Errors: UNAVAILABLE
// when no server answers, DEADLINE_EXCEEDED / CANCELLED when the context
// ends the operation first. Implementations are thread-safe.
class Directory {
 public:
  virtual ~Directory() = default;

  // The rootDSE's namingContexts and defaultNamingContext.
  virtual absl::StatusOr<NamingContexts> ListNamingContexts(const OpContext& ctx) = 0;

  // base_dn (and group_dn) below: the configured base DN when empty, and
  // PERMISSION_DENIED unless it is that DN or under it. An answer heavier
  // than ctx.max_answer_bytes is RESOURCE_EXHAUSTED.

  // Organizational units in the subtree under base_dn.
  virtual absl::StatusOr<std::vector<v1::OrganizationalUnit>> ListOrganizationalUnits(
      const std::string& base_dn, const OpContext& ctx) = 0;

  // Groups under base_dn whose name starts with name_prefix (any, if empty).
  virtual absl::StatusOr<std::vector<v1::Group>> ListGroups(
      const std::string& base_dn, const std::string& name_prefix, const OpContext& ctx) = 0;

  // Users under base_dn (members of group_dn, nested groups included, if
  // set; changed after `changed_since`, if set), handed to `sink` one page
  // of at most page_size users at a time with the highest change marker
  // seen so far and the server that answered; an error from the sink stops
  // the search and is returned.
  struct PageMarks {
    std::string watermark;
    std::string server;
  };
  using UserSink = std::function<absl::Status(std::vector<v1::User>&&, const PageMarks&)>;
  virtual absl::Status SearchUsers(const std::string& base_dn, const std::string& group_dn,
                                   int page_size, const std::string& changed_since,
                                   const OpContext& ctx, const UserSink& sink) = 0;

  // Exactly one user by username: uid / sAMAccountName, user@domain (UPN),
  // or DOMAIN\user. NOT_FOUND when none matches.
  virtual absl::StatusOr<v1::User> GetUser(const std::string& username,
                                           const OpContext& ctx) = 0;

  // Which of `group_dns` the entry `user_dn` is a member of, through nested
  // groups as SearchUsers follows them. A group that does not exist, or is
  // outside the base DN, holds nobody.
  virtual absl::StatusOr<std::vector<std::string>> NestedGroupsOf(
      const std::string& user_dn, const std::vector<std::string>& group_dns,
      const OpContext& ctx) = 0;

  // Search-then-bind: the service account finds exactly one user by name,
  // then the user binds with `password` on a connection never used for
  // service-account work. A wrong password, an unknown user and a name that
  // matches several entries all give INVALID_CREDENTIALS; the other results
  // say what the server said of the account. Only broken infrastructure is
  // an error status. The password must not be empty: callers check.
  struct AuthOutcome {
    v1::AuthResult result = v1::AUTH_RESULT_UNSPECIFIED;
    v1::User user;  // set when result is OK
  };
  virtual absl::StatusOr<AuthOutcome> Authenticate(const std::string& username,
                                                   const std::string& password,
                                                   const OpContext& ctx) = 0;

  // The same check without holding a thread while the server works, where
  // the implementation can: never blocks. `done` runs exactly once, on a
  // thread of the implementation's or of `blocking`, which runs any step
  // that has to wait. This default runs Authenticate on `blocking`.
  using AuthDone = absl::AnyInvocable<void(absl::StatusOr<AuthOutcome>) &&>;
  virtual void AuthenticateAsync(std::string username, std::string password, OpContext ctx,
                                 ThreadPool* blocking, AuthDone done) {
    blocking->Schedule([this, username = std::move(username), password = std::move(password),
                        ctx, done = std::move(done)]() mutable {
      absl::StatusOr<AuthOutcome> outcome = Authenticate(username, password, ctx);
      crypto::Wipe(password);
      std::move(done)(std::move(outcome));
    });
  }

  // The user's own password change (Auth.ChangePassword): found as
  // Authenticate finds them, the old password checked by the directory,
  // the new one under its password policy; never an admin's reset. A user
  // who must change or whose password expired can change where the
  // directory allows it. The outcome is typed as Authenticate's, plus
  // PASSWORD_REJECTED with the rule in `message`; an unknown user is
  // INVALID_CREDENTIALS. Only broken infrastructure or configuration is an
  // error status. Neither password may be empty: callers check.
  struct ChangeOutcome {
    v1::AuthResult result = v1::AUTH_RESULT_UNSPECIFIED;
    std::string message;  // the policy rule, in our words; never a password
  };
  virtual absl::StatusOr<ChangeOutcome> ChangePassword(const std::string& username,
                                                       const std::string& old_password,
                                                       const std::string& new_password,
                                                       const OpContext& ctx) = 0;

  // How many users are visible under the base DN (connector_svc check).
  virtual absl::StatusOr<int64_t> CountUsers(const OpContext& ctx) = 0;

  // Whether the last operation reached a server.
  virtual bool Healthy() const = 0;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_DIRECTORY_H_
