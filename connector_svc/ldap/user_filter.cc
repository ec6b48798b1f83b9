#include "connector_svc/ldap/user_filter.h"

#include "absl/strings/str_cat.h"
#include "common/ldap_escape.h"
#include "connector_svc/ldap/ldap_dn.h"

namespace dirbridge::connector {

absl::StatusOr<std::string> UserLookupFilter(const AttributeMap& map,
                                             const std::string& username) {
  if (username.empty()) return absl::InvalidArgumentError("username is required");
  if (username.size() > 1024) {
    return absl::InvalidArgumentError("username is longer than 1024 bytes");
  }
  if (!IsValidUtf8(username)) return absl::InvalidArgumentError("username is not valid UTF-8");
  std::string match;
  size_t at = username.rfind('@');
  size_t backslash = username.find('\\');
  if (backslash != std::string::npos && backslash > 0 && backslash + 1 < username.size() &&
      at == std::string::npos) {
    // DOMAIN\name: the domain is the connector's own; the name is the account.
    match = absl::StrCat("(", map.username, "=",
                         EscapeFilterValue(username.substr(backslash + 1)), ")");
  } else if (at != std::string::npos && at > 0 && at + 1 < username.size()) {
    if (!map.user_principal_name.empty()) {
      match = absl::StrCat("(", map.user_principal_name, "=", EscapeFilterValue(username), ")");
    } else {
      match = absl::StrCat("(", map.username, "=",
                           EscapeFilterValue(username.substr(0, at)), ")");
    }
  } else {
    match = absl::StrCat("(", map.username, "=", EscapeFilterValue(username), ")");
  }
  return absl::StrCat("(&", map.user_filter, match, ")");
}

}  // namespace dirbridge::connector
