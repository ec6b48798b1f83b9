#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_USER_FILTER_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_USER_FILTER_H_

#include <string>

#include "absl/status/statusor.h"
#include "connector_svc/ldap/attribute_map.h"

namespace dirbridge::connector {

// The search filter that finds one user by what a person types as their
// name: `name`, `name@domain` (UPN where the directory has one, else the
// part before @) or `DOMAIN\name` (the domain part is not checked: the
// connector serves one directory). Every value is escaped exactly once,
// here. INVALID_ARGUMENT for what no directory could hold: empty, over 1024
// bytes, or not UTF-8.
absl::StatusOr<std::string> UserLookupFilter(const AttributeMap& map,
                                             const std::string& username);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_USER_FILTER_H_
