// Auth.ChangePassword on the directory: search-then-bind as for a login,
// then the change the profile's directory takes as a user's own.
//
// OpenLDAP: the Password Modify extended operation (RFC 3062) on the
// connection the user just bound, with the old password; a must-change
// user's bind succeeds (ppolicy's changeAfterReset) and ppolicy lets that
// connection do exactly this. An expired password binds only while the
// policy grants grace logins (pwdGraceAuthNLimit): without one the user
// cannot change it, and the answer says PASSWORD_EXPIRED.
//
// Active Directory: one modify that deletes the old unicodePwd and adds the
// new, only over TLS. AD refuses the bind of a user who must change
// (data 773) or whose password expired (data 532), although the password
// was right, so the change cannot run as that user. It does not have to:
// the delete-old/add-new pair is authorised by the Change Password control
// access right, which AD's default security descriptor for users grants
// to Everyone as well as SELF, and AD checks the old password in it
// (counting a wrong one towards lockout) and applies the user's policy
// (history, minimum age, complexity). So after such a bind the same modify
// runs on a service-account connection; a user who bound is changed on
// their own connection.
#include <ldap.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status_macros.h"
#include "connector_svc/ldap/bind_outcome.h"
#include "connector_svc/ldap/change_outcome.h"
#include "connector_svc/ldap/ldap_directory.h"

namespace dirbridge::connector {
namespace {

bool ServerBusy(int code) { return code == LDAP_BUSY || code == LDAP_UNAVAILABLE; }

// The bind answered one of these to a right password that may not log in.
bool MayChangeOnly(v1::AuthResult r) {
  return r == v1::AUTH_RESULT_MUST_CHANGE_PASSWORD || r == v1::AUTH_RESULT_PASSWORD_EXPIRED;
}

// A unicodePwd delete/add pair, run on `conn` as it is bound.
absl::StatusOr<Directory::ChangeOutcome> ChangeOnAd(LdapConnection& conn, const std::string& dn,
                                                    const std::string& old_password,
                                                    const std::string& new_password,
                                                    const OpContext& ctx) {
  ASSIGN_OR_RETURN(std::string old_value, AdPasswordValue(old_password));
  absl::Cleanup wipe_old = [&old_value] { crypto::Wipe(old_value); };
  ASSIGN_OR_RETURN(std::string new_value, AdPasswordValue(new_password));
  absl::Cleanup wipe_new = [&new_value] { crypto::Wipe(new_value); };
  ASSIGN_OR_RETURN(LdapConnection::BindReply reply,
                   conn.ChangeUnicodePwd(dn, old_value, new_value, ctx));
  if (ServerBusy(reply.code)) {
    return absl::UnavailableError("ldap: the server is too busy to change the password");
  }
  return UnicodePwdOutcome(reply.code, reply.diagnostic);
}

}  // namespace

absl::StatusOr<Directory::ChangeOutcome> LdapDirectory::ChangePassword(
    const std::string& username, const std::string& old_password,
    const std::string& new_password, const OpContext& ctx) {
  if (old_password.empty() || new_password.empty()) {
    return absl::InvalidArgumentError("password is empty");
  }
  bool ad = config_.profile == LdapProfile::kActiveDirectory;
  if (ad && config_.tls == LdapTls::kNone) {
    return absl::FailedPreconditionError(
        "ldap: Active Directory takes a password change only over an encrypted connection; "
        "set ldap.tls to ldaps or starttls");
  }
  ASSIGN_OR_RETURN(std::vector<LdapEntry> found, FindUser(username, ctx));
  if (found.size() != 1) {
    // Nobody, or several: the same answer as a wrong password, after the
    // same work (the decoy bind).
    ASSIGN_OR_RETURN(AuthOutcome decoy, BindDecoy(old_password, ctx));
    return ChangeOutcome{decoy.result, ""};
  }
  const std::string& dn = found.front().dn;
  v1::AuthResult bind = v1::AUTH_RESULT_UNSPECIFIED;
  ChangeOutcome changed;
  RETURN_IF_ERROR(bind_pool_.With(ctx, [&](LdapConnection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(LdapConnection::BindReply reply, conn.BindAs(dn, old_password, ctx));
    if (ServerBusy(reply.code)) {
      return absl::UnavailableError("ldap: the server is too busy to check the password");
    }
    bind = BindOutcome(reply.code, reply.diagnostic, reply.ppolicy_error);
    bool as_user = bind == v1::AUTH_RESULT_OK ||
                   (!ad && bind == v1::AUTH_RESULT_MUST_CHANGE_PASSWORD);
    if (!as_user) return absl::OkStatus();
    if (ad) {
      ASSIGN_OR_RETURN(changed, ChangeOnAd(conn, dn, old_password, new_password, ctx));
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(LdapConnection::BindReply r,
                     conn.PasswordModify(dn, old_password, new_password, ctx));
    if (ServerBusy(r.code)) {
      return absl::UnavailableError("ldap: the server is too busy to change the password");
    }
    ASSIGN_OR_RETURN(changed, PasswordModifyOutcome(r.code, r.ppolicy_error));
    return absl::OkStatus();
  }));
  if (changed.result != v1::AUTH_RESULT_UNSPECIFIED) return changed;
  if (ad && MayChangeOnly(bind)) {
    // The user's own bind is refused; the service account's connection
    // carries the change, which AD checks against the old password.
    RETURN_IF_ERROR(WithConnection(ctx, [&](LdapConnection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(changed, ChangeOnAd(conn, dn, old_password, new_password, ctx));
      return absl::OkStatus();
    }));
    return changed;
  }
  if (bind == v1::AUTH_RESULT_PASSWORD_EXPIRED) {
    return ChangeOutcome{bind,
                         "the directory lets a user change an expired password only during "
                         "grace logins, and this one has none left (ppolicy "
                         "pwdGraceAuthNLimit)"};
  }
  return ChangeOutcome{bind, ""};
}

}  // namespace dirbridge::connector
