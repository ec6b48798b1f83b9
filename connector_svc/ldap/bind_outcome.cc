#include "connector_svc/ldap/bind_outcome.h"

#include <ldap.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace dirbridge::connector {
namespace {

// AD's sub-code: the hex digits after "data " in the diagnostic, e.g.
// "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error,
// data 52e, v4563".
std::string AdSubCode(absl::string_view diagnostic) {
  size_t at = diagnostic.find("data ");
  if (at == absl::string_view::npos) return "";
  absl::string_view rest = diagnostic.substr(at + 5);
  size_t end = 0;
  while (end < rest.size() && absl::ascii_isxdigit(rest[end])) ++end;
  return absl::AsciiStrToLower(rest.substr(0, end));
}

}  // namespace

v1::AuthResult BindOutcome(int ldap_code, absl::string_view diagnostic, int ppolicy_error) {
  if (ldap_code == LDAP_SUCCESS) {
    // The password is right but must be replaced before use.
    if (ppolicy_error == PP_changeAfterReset) return v1::AUTH_RESULT_MUST_CHANGE_PASSWORD;
    return v1::AUTH_RESULT_OK;
  }
  if (ppolicy_error == PP_passwordExpired) return v1::AUTH_RESULT_PASSWORD_EXPIRED;
  if (ppolicy_error == PP_accountLocked) return v1::AUTH_RESULT_ACCOUNT_LOCKED;
  if (ppolicy_error == PP_changeAfterReset) return v1::AUTH_RESULT_MUST_CHANGE_PASSWORD;
  if (ldap_code == LDAP_INVALID_CREDENTIALS) {
    std::string code = AdSubCode(diagnostic);
    if (code == "530" || code == "531" || code == "533") return v1::AUTH_RESULT_ACCOUNT_DISABLED;
    if (code == "532") return v1::AUTH_RESULT_PASSWORD_EXPIRED;
    if (code == "701") return v1::AUTH_RESULT_ACCOUNT_EXPIRED;
    if (code == "773") return v1::AUTH_RESULT_MUST_CHANGE_PASSWORD;
    if (code == "775") return v1::AUTH_RESULT_ACCOUNT_LOCKED;
    // 525 (no such user), 52e (wrong password) and anything unknown.
    return v1::AUTH_RESULT_INVALID_CREDENTIALS;
  }
  // Refusals that are not about the infrastructure: the server will not
  // take this bind from this user.
  return v1::AUTH_RESULT_INVALID_CREDENTIALS;
}

}  // namespace dirbridge::connector
