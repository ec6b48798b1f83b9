#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_CONNECTION_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_CONNECTION_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "connector_svc/ldap/directory.h"
#include "connector_svc/ldap/ldap_config.h"

typedef struct ldap LDAP;
typedef struct ldapmsg LDAPMessage;
struct berval;

namespace dirbridge::connector {

struct LdapEntry {
  std::string dn;
  // Attribute names lower-cased; values as the server sent them.
  absl::flat_hash_map<std::string, std::vector<std::string>> attributes;

  // First value of `name` (lower-case), or "".
  const std::string& First(absl::string_view name) const;
};

enum class LdapScope { kBase, kOneLevel, kSubtree };

struct LdapMessageDeleter {
  void operator()(LDAPMessage* m) const;
};
// A whole result as libldap read it (a search's entries and final result,
// or a bind response).
using LdapMessagePtr = std::unique_ptr<LDAPMessage, LdapMessageDeleter>;

// One connection to one LDAP server, bound as the service account (or not
// bound at all, for a user's own bind). Every operation is asynchronous
// underneath and waits in short slices, so that a deadline or cancellation
// ends it with ldap_abandon_ext even when the server has stopped answering.
// Not thread-safe: one user at a time (the pool sees to it).
class LdapConnection {
 public:
  // Connects to `uri` (StartTLS when configured) and binds with the service
  // account. UNAVAILABLE when the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<LdapConnection>> Open(
      const LdapConfig& config, const std::string& uri, const OpContext& ctx);
  // Connected (and TLS set up) but not bound: for binds as a user.
  static absl::StatusOr<std::unique_ptr<LdapConnection>> OpenUnbound(
      const LdapConfig& config, const std::string& uri, const OpContext& ctx);
  ~LdapConnection();

  absl::StatusOr<std::vector<LdapEntry>> Search(
      const std::string& base, LdapScope scope, const std::string& filter,
      const std::vector<std::string>& attributes, const OpContext& ctx);

  // A search read page by page with the paged-results control (RFC 2696),
  // so that neither side holds more than one page. `on_page` gets each page;
  // an error from it stops the search and is returned. Attributes the
  // server sent in ranges (AD's member;range=0-1499) arrive complete.
  using PageSink = std::function<absl::Status(std::vector<LdapEntry>&&)>;
  absl::Status SearchPaged(const std::string& base, LdapScope scope,
                           const std::string& filter,
                           const std::vector<std::string>& attributes, int page_size,
                           const OpContext& ctx, const PageSink& on_page);

  // What a server said to a user's bind.
  struct BindReply {
    int code = 0;            // LDAP result code
    std::string diagnostic;  // AD puts "data 52e" etc. here
    // The password-policy response control's error (draft-behera-ldap-
    // password-policy), or -1 when the server sent none.
    int ppolicy_error = -1;
  };
  // Simple bind as `dn` on this connection (a user's own bind), asking for
  // the password-policy control. Transport failures are an error status.
  absl::StatusOr<BindReply> BindAs(const std::string& dn, const std::string& password,
                                   const OpContext& ctx);

  // A user's own password change on this connection, as bound now (the
  // user, or the service account where the directory allows that), with
  // the password-policy control asked for; the server's answer in a
  // BindReply (code, diagnostic, ppolicy error). Transport failures are an
  // error status (ldap_password_ops.cc).
  // RFC 3062's Password Modify extended operation with the old password.
  absl::StatusOr<BindReply> PasswordModify(const std::string& dn,
                                           const std::string& old_password,
                                           const std::string& new_password,
                                           const OpContext& ctx);
  // Active Directory's change: one modify that deletes the old unicodePwd
  // value and adds the new one (MS-ADTS 3.1.1.3.1.5.2); the values are
  // AdPasswordValue's. The server refuses it on an unencrypted connection.
  absl::StatusOr<BindReply> ChangeUnicodePwd(const std::string& dn,
                                             const std::string& old_value,
                                             const std::string& new_value,
                                             const OpContext& ctx);

  // The same operations in steps, for a caller that waits on many
  // connections at once (LdapEventLoop) instead of a thread each: start the
  // operation, take its result when the socket has it, then read it.
  // Start*: the message id. Results stay attached to this connection.
  absl::StatusOr<int> StartSearch(const std::string& base, LdapScope scope,
                                  const std::string& filter,
                                  const std::vector<std::string>& attributes);
  absl::StatusOr<int> StartBindAs(const std::string& dn, const std::string& password);
  // The whole result of msgid if libldap has it, null if not yet (never
  // blocks); an error when the connection failed.
  absl::StatusOr<LdapMessagePtr> TakeResult(int msgid);
  // Gives up on msgid; the connection is no longer trusted.
  void Abandon(int msgid);
  // The socket to wait on, or -1 when not connected.
  int fd() const;
  absl::StatusOr<std::vector<LdapEntry>> ReadEntries(LDAPMessage* result,
                                                     const std::string& base);
  absl::StatusOr<BindReply> ReadBind(LDAPMessage* result) { return ReadReply(result, "bind"); }
  // Any operation's result: code, diagnostic and the ppolicy control.
  absl::StatusOr<BindReply> ReadReply(LDAPMessage* result, absl::string_view what);
  // Whether the server sent part of an attribute (AD's member;range=0-1499):
  // reading the rest takes more searches.
  static bool HasRanges(const LdapEntry& entry);

  const std::string& uri() const { return uri_; }
  // False once an operation failed in a way that leaves the connection in
  // doubt (server gone, operation abandoned): the pool drops it.
  bool usable() const { return usable_; }

 private:
  LdapConnection(LDAP* ld, std::string uri) : ld_(ld), uri_(std::move(uri)) {}
  absl::Status SimpleBind(const std::string& dn, const std::string& password,
                          const OpContext& ctx);
  // Waits for the result of msgid; abandons it past the deadline.
  absl::StatusOr<LDAPMessage*> Wait(int msgid, const OpContext& ctx, bool all);
  absl::Status Error(int rc, const std::string& what);
  // ldap_result failed: the connection is gone or broken.
  absl::Status ResultFailed();
  // The final result of a search: its status, and the paged-results
  // cookie into `cookie` when not null.
  absl::Status ReadFinalResult(LDAPMessage* m, const std::string& base, ::berval* cookie);
  // The final result of a result chain, read for the page cookie.
  absl::Status ReadPageCookie(LDAPMessage* chain, const std::string& base, ::berval* cookie);
  // Entries of a result chain into `out`; the final result's status.
  absl::Status ParseResults(LDAPMessage* chain, const std::string& base,
                            std::vector<LdapEntry>* out, ::berval* cookie);
  // One search, its entries as the server sent them (ranged attributes
  // left in slices).
  absl::StatusOr<std::vector<LdapEntry>> SearchOnce(
      const std::string& base, LdapScope scope, const std::string& filter,
      const std::vector<std::string>& attributes, const OpContext& ctx);
  // Reads the rest of every ranged attribute of `entry` (ReadRangedValues).
  absl::Status CompleteRanges(LdapEntry& entry, const OpContext& ctx);

  LDAP* ld_;
  std::string uri_;
  bool usable_ = true;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_CONNECTION_H_
