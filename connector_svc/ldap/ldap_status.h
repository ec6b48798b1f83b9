#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_STATUS_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_STATUS_H_

#include <string>

#include "absl/status/status.h"

namespace dirbridge::connector {

// An LDAP result code as a status: outages UNAVAILABLE (so the pool fails
// over), refusals by what they mean. "ldap: <what>: <server text> (<detail>)".
absl::Status LdapStatus(int rc, const std::string& what, const std::string& detail);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_STATUS_H_
