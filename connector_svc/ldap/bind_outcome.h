#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_BIND_OUTCOME_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_BIND_OUTCOME_H_

#include "absl/strings/string_view.h"
#include "dirbridge/v1/auth.pb.h"

namespace dirbridge::connector {

// The typed outcome of a user's bind, from the LDAP result code, Active
// Directory's "data XXX" sub-code in the diagnostic message (MS-ADTS, the
// AcceptSecurityContext errors), and OpenLDAP's password-policy control.
// Never the server's raw text: that goes no further than the connector.
v1::AuthResult BindOutcome(int ldap_code, absl::string_view diagnostic, int ppolicy_error);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_BIND_OUTCOME_H_
