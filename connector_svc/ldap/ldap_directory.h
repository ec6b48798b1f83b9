#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DIRECTORY_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DIRECTORY_H_

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/container/flat_hash_set.h"
#include "connector_svc/ldap/attribute_map.h"
#include "connector_svc/ldap/connection_pool.h"
#include "connector_svc/ldap/directory.h"
#include "connector_svc/ldap/ldap_config.h"
#include "connector_svc/ldap/ldap_connection.h"
#include "connector_svc/ldap/ldap_dn.h"
#include "connector_svc/ldap/ldap_event_loop.h"

namespace dirbridge::connector {

// Directory over libldap: a small pool of service-bound connections. A
// connection the server dropped while idle is replaced on first use; a server
// that does not answer is skipped for the next URI in order. Searches stay
// under the configured base DN; SearchUsers streams have connections of
// their own (ldap.max_streams), so a stream that waits for its reader never
// holds one a lookup or a login needs.
class LdapDirectory : public Directory {
 public:
  static absl::StatusOr<std::unique_ptr<LdapDirectory>> New(const LdapConfig& config);

  absl::StatusOr<NamingContexts> ListNamingContexts(const OpContext& ctx) override;
  absl::StatusOr<std::vector<v1::OrganizationalUnit>> ListOrganizationalUnits(
      const std::string& base_dn, const OpContext& ctx) override;
  absl::StatusOr<std::vector<v1::Group>> ListGroups(const std::string& base_dn,
                                                    const std::string& name_prefix,
                                                    const OpContext& ctx) override;
  absl::Status SearchUsers(const std::string& base_dn, const std::string& group_dn,
                           int page_size, const std::string& changed_since,
                           const OpContext& ctx, const UserSink& sink) override;
  absl::StatusOr<v1::User> GetUser(const std::string& username,
                                   const OpContext& ctx) override;
  absl::StatusOr<std::vector<std::string>> NestedGroupsOf(
      const std::string& user_dn, const std::vector<std::string>& group_dns,
      const OpContext& ctx) override;
  absl::StatusOr<AuthOutcome> Authenticate(const std::string& username,
                                           const std::string& password,
                                           const OpContext& ctx) override;
  // Search and bind wait on the event loop, not on a thread; a step that
  // has to wait for a connection (none idle, one dropped, ranged attributes
  // to read) goes to `blocking`. Same outcomes as Authenticate.
  void AuthenticateAsync(std::string username, std::string password, OpContext ctx,
                         ThreadPool* blocking, AuthDone done) override;
  // Search, then the user's bind with the old password, then the change
  // as the profile wants it (password_change.cc).
  absl::StatusOr<ChangeOutcome> ChangePassword(const std::string& username,
                                               const std::string& old_password,
                                               const std::string& new_password,
                                               const OpContext& ctx) override;
  absl::StatusOr<int64_t> CountUsers(const OpContext& ctx) override;

  // Binds as a DN that does not exist, which the server answered: one per
  // login of a name that found no user, or several.
  int64_t decoy_binds() const { return decoy_binds_.load(); }

  const LdapConfig& config() const { return config_; }
  const AttributeMap& attributes() const { return map_; }
  bool Healthy() const override { return service_pool_.healthy(); }

 private:
  LdapDirectory(LdapConfig config, AttributeMap map, ParsedDn base, std::string decoy_dn);
  static absl::StatusOr<std::string> MakeDecoyDn(const std::string& base_dn);

  // The base a search runs under: `requested`, or the configured base DN
  // when empty. PERMISSION_DENIED unless it is that DN or under it.
  absl::StatusOr<std::string> ConfinedBase(const std::string& requested,
                                           absl::string_view what) const;
  // Whether `dn` (from the server, e.g. a member) is under the base DN.
  bool UnderBase(const std::string& dn) const;

  // Every DN that is a member of group_dn, through nested groups, read
  // from the groups' member attribute (for servers without the in-chain
  // rule). NOT_FOUND when group_dn does not exist.
  absl::StatusOr<absl::flat_hash_set<std::string>> ExpandGroup(LdapConnection& conn,
                                                               const std::string& group_dn,
                                                               const OpContext& ctx);
  // The highest change marker of the groups under the base DN changed
  // after `watermark`; empty when none did.
  absl::StatusOr<std::string> GroupsChangedSince(LdapConnection& conn,
                                                 const std::string& watermark,
                                                 const OpContext& ctx);

  using Op = ConnectionPool::Op;
  template <typename Named>
  absl::StatusOr<std::vector<Named>> ListNamed(const std::string& base_dn,
                                               const std::string& filter,
                                               const std::string& name_attr,
                                               absl::string_view what,
                                               absl::string_view narrow,
                                               const OpContext& ctx);
  // Entries the name a person typed finds (UserLookupFilter), with the
  // user attributes.
  absl::StatusOr<std::vector<LdapEntry>> FindUser(const std::string& username,
                                                  const OpContext& ctx);
  // The user's own bind, once FindUser found exactly one entry.
  absl::StatusOr<AuthOutcome> BindUser(const LdapEntry& user, const std::string& password,
                                       const OpContext& ctx);
  // A login whose name found no user (or several) binds too, as decoy_dn_,
  // so both "no" answers cost the same: a search and a bind. Always
  // INVALID_CREDENTIALS (a busy server is an error).
  // A password for the decoy bind: random, of the typed one's length, so
  // the request looks the same on the wire and the user's real password
  // never goes to a DN that is not theirs.
  static std::string DecoyPassword(size_t length);
  absl::StatusOr<AuthOutcome> BindDecoy(const std::string& password, const OpContext& ctx);
  absl::StatusOr<AuthOutcome> DecoyOutcome(const LdapConnection::BindReply& reply);
  // What the server's answer to the bind means (a busy server is an error).
  absl::StatusOr<AuthOutcome> Outcome(const LdapEntry& user,
                                      const LdapConnection::BindReply& reply) const;

  // One login on the event loop (async_authenticate.cc).
  struct AsyncAuth;
  using Step = void (LdapDirectory::*)(std::unique_ptr<AsyncAuth>,
                                       absl::StatusOr<LdapMessagePtr>);
  // Hands op's connection to the event loop until `msgid` is answered, then
  // runs `next`; if the operation did not start, the worker takes over.
  void Await(std::unique_ptr<AsyncAuth> op, const absl::StatusOr<int>& msgid,
             ConnectionPool& pool, Step next);
  void OnUserFound(std::unique_ptr<AsyncAuth> op, absl::StatusOr<LdapMessagePtr> result);
  void OnBound(std::unique_ptr<AsyncAuth> op, absl::StatusOr<LdapMessagePtr> result);
  // The rest on the worker pool, blocking: the whole Authenticate (it dials,
  // waits for a connection, fails over), or only the bind once the user is
  // found.
  void OnWorker(std::unique_ptr<AsyncAuth> op);

  // The change once the user's bind answered `bind` on `conn`.
  absl::StatusOr<ChangeOutcome> ChangeAfterBind(LdapConnection& conn, const std::string& dn,
                                                v1::AuthResult bind,
                                                const std::string& old_password,
                                                const std::string& new_password,
                                                const OpContext& ctx);

  // Runs op on a service-bound connection.
  absl::Status WithConnection(const OpContext& ctx, const Op& op);

  const LdapConfig config_;
  const AttributeMap map_;
  const ParsedDn base_;         // config_.base_dn, parsed
  const std::string decoy_dn_;  // under base_dn; no such entry
  std::atomic<int64_t> decoy_binds_{0};
  // Bound as the service account: lookups and logins' searches.
  ConnectionPool service_pool_;
  // Bound as the service account: SearchUsers only, at most max_streams.
  ConnectionPool stream_pool_;
  // Never bound as the service account: users' own binds, one at a time per
  // connection, so a user's bind never shares a connection with service work.
  ConnectionPool bind_pool_;
  // Last: stopped before the pools its operations return connections to.
  LdapEventLoop loop_;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DIRECTORY_H_
