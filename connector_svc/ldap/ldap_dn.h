#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DN_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DN_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dirbridge::connector {

// INVALID_ARGUMENT unless `dn` is a non-empty, well-formed LDAPv3 DN
// (RFC 4514). `what` names the field in the message.
absl::Status ValidateDn(absl::string_view dn, absl::string_view what);

// A DN in a form fit for comparing two DNs of the same server: libldap's
// normalisation, then lower case (attribute types and the usual matching
// rules are case-insensitive).
std::string NormalizeDn(absl::string_view dn);

// An attribute description with a range option, as Active Directory sends
// multi-valued attributes larger than one read (MS-ADTS 3.1.1.3.1.3.3):
// "member;range=0-1499" or "member;range=1500-*" (last).
struct AttributeRange {
  std::string attribute;  // lower case, without options
  uint64_t low = 0;
  std::optional<uint64_t> high;  // unset: "*", the last slice
};
std::optional<AttributeRange> ParseAttributeRange(absl::string_view description);

// UTF-8 check for values going to the server (LDAP strings are UTF-8).
bool IsValidUtf8(absl::string_view s);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DN_H_
