// Finding one user by the name a person typed, and checking a password:
// search-then-bind (STYLE.md 6). A name that finds nobody costs a bind too,
// as a DN that cannot exist, so that the time of the answer does not tell
// an unknown user from a wrong password.
#include <ldap.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/secrets.h"
#include "connector_svc/ldap/bind_outcome.h"
#include "connector_svc/ldap/ldap_directory.h"
#include "connector_svc/ldap/user_filter.h"

namespace dirbridge::connector {

absl::StatusOr<std::string> LdapDirectory::MakeDecoyDn(const std::string& base_dn) {
  // 128 random bits: no entry of that name exists, and none can be made
  // ahead by someone who wants a decoy bind to succeed.
  absl::StatusOr<std::string> random = RandomBytes(16);
  if (!random.ok()) return random.status();
  return absl::StrCat("cn=dirbridge-no-such-user-", HexEncode(*random), ",", base_dn);
}

absl::StatusOr<std::vector<LdapEntry>> LdapDirectory::FindUser(const std::string& username,
                                                                const OpContext& ctx) {
  absl::StatusOr<std::string> filter = UserLookupFilter(map_, username);
  if (!filter.ok()) return filter.status();
  std::vector<LdapEntry> found;
  absl::Status st = WithConnection(ctx, [&](LdapConnection& conn) -> absl::Status {
    absl::StatusOr<std::vector<LdapEntry>> r = conn.Search(
        config_.base_dn, LdapScope::kSubtree, *filter, map_.UserAttributes(), ctx);
    if (!r.ok()) return r.status();
    found = std::move(*r);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return found;
}

absl::StatusOr<v1::User> LdapDirectory::GetUser(const std::string& username,
                                                const OpContext& ctx) {
  absl::StatusOr<std::vector<LdapEntry>> found = FindUser(username, ctx);
  if (!found.ok()) return found.status();
  if (found->empty()) return absl::NotFoundError("no such user in the directory");
  if (found->size() > 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the username matches ", found->size(), " directory entries; it must match one"));
  }
  return map_.ToUser(found->front());
}

absl::StatusOr<Directory::AuthOutcome> LdapDirectory::Authenticate(
    const std::string& username, const std::string& password, const OpContext& ctx) {
  if (password.empty()) {
    // An empty simple bind is an unauthenticated bind, which many servers
    // accept: never send one.
    return absl::InvalidArgumentError("password is empty");
  }
  absl::StatusOr<std::vector<LdapEntry>> users = FindUser(username, ctx);
  if (!users.ok()) return users.status();
  std::vector<LdapEntry>& found = *users;
  // Nobody, or more than one: the same answer as a wrong password, after
  // the same work.
  if (found.size() != 1) return BindDecoy(password, ctx);
  return BindUser(found.front(), password, ctx);
}

absl::StatusOr<Directory::AuthOutcome> LdapDirectory::BindUser(const LdapEntry& user,
                                                               const std::string& password,
                                                               const OpContext& ctx) {
  LdapConnection::BindReply reply;
  absl::Status st = bind_pool_.With(ctx, [&](LdapConnection& conn) -> absl::Status {
    absl::StatusOr<LdapConnection::BindReply> r = conn.BindAs(user.dn, password, ctx);
    if (!r.ok()) return r.status();
    reply = std::move(*r);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return Outcome(user, reply);
}

std::string LdapDirectory::DecoyPassword(size_t length) {
  absl::StatusOr<std::string> random = RandomBytes(length / 2 + 1);
  std::string hex = random.ok() ? HexEncode(*random) : std::string(2 * length + 2, 'x');
  return hex.substr(0, std::max<size_t>(length, 1));
}

absl::StatusOr<Directory::AuthOutcome> LdapDirectory::BindDecoy(const std::string& password,
                                                                const OpContext& ctx) {
  LdapConnection::BindReply reply;
  absl::Status st = bind_pool_.With(ctx, [&](LdapConnection& conn) -> absl::Status {
    absl::StatusOr<LdapConnection::BindReply> r =
        conn.BindAs(decoy_dn_, DecoyPassword(password.size()), ctx);
    if (!r.ok()) return r.status();
    reply = std::move(*r);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return DecoyOutcome(reply);
}

absl::StatusOr<Directory::AuthOutcome> LdapDirectory::DecoyOutcome(
    const LdapConnection::BindReply& reply) {
  if (reply.code == LDAP_BUSY || reply.code == LDAP_UNAVAILABLE) {
    return absl::UnavailableError("ldap: the server is too busy to check the password");
  }
  decoy_binds_.fetch_add(1, std::memory_order_relaxed);
  if (reply.code == LDAP_SUCCESS) {
    // Nothing can be bound as a DN that does not exist, unless the server
    // takes any name (an anonymous or proxy setup): still a "no".
    spdlog::error("event=decoy_bind_accepted note=\"the server accepted a bind as a DN that "
                  "does not exist; check its bind rules\"");
  }
  AuthOutcome out;
  out.result = v1::AUTH_RESULT_INVALID_CREDENTIALS;
  return out;
}

absl::StatusOr<Directory::AuthOutcome> LdapDirectory::Outcome(
    const LdapEntry& user, const LdapConnection::BindReply& reply) const {
  if (reply.code == LDAP_BUSY || reply.code == LDAP_UNAVAILABLE) {
    return absl::UnavailableError("ldap: the server is too busy to check the password");
  }
  AuthOutcome out;
  out.result = BindOutcome(reply.code, reply.diagnostic, reply.ppolicy_error);
  if (out.result == v1::AUTH_RESULT_OK) out.user = map_.ToUser(user);
  return out;
}

}  // namespace dirbridge::connector
