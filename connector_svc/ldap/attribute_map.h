#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_ATTRIBUTE_MAP_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_ATTRIBUTE_MAP_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "connector_svc/ldap/ldap_config.h"
#include "connector_svc/ldap/ldap_connection.h"
#include "dirbridge/v1/directory.pb.h"

namespace dirbridge::connector {

// Where each User field lives in a given directory, and how users, groups
// and OUs are told apart. A profile sets the defaults; the config's
// `ldap.attributes` overrides any of them by name (the keys below).
struct AttributeMap {
  std::string username;             // uid | sAMAccountName
  std::string id;                   // entryUUID | objectGUID
  bool binary_id = false;           // objectGUID is 16 raw bytes
  std::string user_principal_name;  // "" | userPrincipalName
  std::string email;
  std::string display_name;
  std::string groups;               // memberOf
  std::string disabled;             // "" | userAccountControl (bit 0x2)
  std::string member;               // a group's member attribute
  std::string group_name;           // cn
  std::string ou_name;              // ou
  std::string user_filter;
  std::string group_filter;
  std::string ou_filter;
  // What orders changes: entryCSN (OpenLDAP, microseconds + a counter) or
  // uSNChanged (AD, per domain controller); numeric for AD.
  std::string change_marker;
  bool numeric_marker = false;
  // Active Directory: nested membership through the in-chain rule
  // (LDAP_MATCHING_RULE_IN_CHAIN); elsewhere the connector expands nested
  // groups itself.
  bool in_chain = false;
  // Active Directory: memberOf is a back link, kept on the group's side
  // only, so that a user added to or removed from a group keeps its own
  // change marker; only the group's moves.
  bool memberof_backlink = false;

  // The attributes to request for a User.
  std::vector<std::string> UserAttributes() const;
  // A filter for entries changed strictly after `watermark`.
  std::string ChangedSince(const std::string& watermark) const;
  // Whether marker `a` comes after `b`.
  bool MarkerAfter(const std::string& a, const std::string& b) const;
  v1::User ToUser(const LdapEntry& entry) const;
};

// The keys `ldap.attributes` accepts.
std::vector<std::string> AttributeMapKeys();

// INVALID_ARGUMENT naming an unknown key.
absl::StatusOr<AttributeMap> ResolveAttributeMap(
    LdapProfile profile, const std::map<std::string, std::string>& overrides);

// objectGUID's 16 bytes in the registry string form Microsoft documents
// (first three fields little-endian), lower case, no braces.
std::string FormatObjectGuid(absl::string_view bytes);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_ATTRIBUTE_MAP_H_
