#include "connector_svc/ldap/ldap_status.h"

#include <ldap.h>

#include "absl/strings/str_cat.h"

namespace dirbridge::connector {

absl::Status LdapStatus(int rc, const std::string& what, const std::string& detail) {
  std::string msg = absl::StrCat("ldap: ", what, ": ", ldap_err2string(rc));
  if (!detail.empty()) absl::StrAppend(&msg, " (", detail, ")");
  if (rc == LDAP_STRONG_AUTH_REQUIRED || rc == LDAP_CONFIDENTIALITY_REQUIRED) {
    // AD with LDAP signing enforced (Samba's default: "ldap server require
    // strong auth = yes") refuses a simple bind in clear; the text alone
    // ("Strong(er) authentication required") does not say what to change.
    absl::StrAppend(&msg,
                    "; the server requires an encrypted connection for a simple bind: use "
                    "ldaps:// URIs with \"ldap.tls: ldaps\", or \"ldap.tls: starttls\" on ldap://");
  }
  switch (rc) {
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_UNAVAILABLE:
    case LDAP_BUSY:
    case LDAP_UNWILLING_TO_PERFORM:
    case LDAP_TIMEOUT:
      return absl::UnavailableError(msg);
    case LDAP_TIMELIMIT_EXCEEDED:
      return absl::DeadlineExceededError(msg);
    case LDAP_NO_SUCH_OBJECT:
      return absl::NotFoundError(msg);
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_FILTER_ERROR:
      return absl::InvalidArgumentError(msg);
    case LDAP_INSUFFICIENT_ACCESS:
      return absl::PermissionDeniedError(msg);
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
      return absl::FailedPreconditionError(msg);
    case LDAP_SIZELIMIT_EXCEEDED:
    case LDAP_ADMINLIMIT_EXCEEDED:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace dirbridge::connector
