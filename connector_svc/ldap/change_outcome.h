#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_CHANGE_OUTCOME_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_CHANGE_OUTCOME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "connector_svc/ldap/directory.h"

namespace dirbridge::connector {

// What a directory's answer to a user's own password change means, typed
// as Auth.ChangePassword answers it. The message names the policy rule in
// words of ours, never the server's raw text (which goes no further than
// the connector) and never a password. A refusal that is about the
// connection, not the user (AD without TLS), is an error status.

// OpenLDAP: the Password Modify extended operation's result code and
// ppolicy's error (-1 when the server sent no control).
absl::StatusOr<Directory::ChangeOutcome> PasswordModifyOutcome(int ldap_code, int ppolicy_error);

// Active Directory (and Samba's AD DC): the unicodePwd modify's result
// code and diagnostic, whose leading Win32 error says wrong old password
// (00000056) or policy (0000052D); Samba's text also says which rule.
absl::StatusOr<Directory::ChangeOutcome> UnicodePwdOutcome(int ldap_code,
                                                           absl::string_view diagnostic);

// A unicodePwd value: the password in double quotes, UTF-16LE, as AD takes
// it. INVALID_ARGUMENT when `utf8` is not UTF-8 (the message quotes
// nothing of it).
absl::StatusOr<std::string> AdPasswordValue(absl::string_view utf8);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_CHANGE_OUTCOME_H_
