#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DN_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DN_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dirbridge::connector {

// INVALID_ARGUMENT unless `dn` is a non-empty, well-formed LDAPv3 DN
// (RFC 4514). `what` names the field in the message.
absl::Status ValidateDn(absl::string_view dn, absl::string_view what);

// A DN in a form fit for comparing two DNs of the same server: libldap's
// normalisation, then lower case (attribute types and the usual matching
// rules are case-insensitive).
std::string NormalizeDn(absl::string_view dn);

// A DN parsed per RFC 4514, in the form LDAP compares DNs: RDNs leftmost
// first, each a set of (attribute type, value) sorted, with escapes
// decoded, types lower-cased (well-known OIDs named) and string values as
// caseIgnoreMatch sees them (ASCII case folded, insignificant spaces
// removed, RFC 4518). Every naming attribute of a base DN (dc, ou, o, cn,
// c, l, st, uid) matches that way; where two forms might still be equal on
// the server (an OID we do not name, a #hex value) they compare unequal,
// so a check built on this refuses rather than lets through.
struct ParsedDn {
  using Rdn = std::vector<std::pair<std::string, std::string>>;
  std::vector<Rdn> rdns;
};
// INVALID_ARGUMENT as ValidateDn.
absl::StatusOr<ParsedDn> ParseDn(absl::string_view dn, absl::string_view what);
// Whether `dn` is `base` or an entry of the subtree under it.
bool IsUnder(const ParsedDn& dn, const ParsedDn& base);

// UTF-8 check for values going to the server (LDAP strings are UTF-8).
bool IsValidUtf8(absl::string_view s);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_DN_H_
