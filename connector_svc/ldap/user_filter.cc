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
  // The name as typed always counts (a uid may hold '@' or '\'); the
  // UPN and DOMAIN\name readings are alternatives. The caller requires
  // exactly one entry to match, so two readings that find two people find
  // nobody.
  auto eq = [](const std::string& attr, absl::string_view v) {
    return absl::StrCat("(", attr, "=", EscapeFilterValue(v), ")");
  };
  std::string match = eq(map.username, username);
  int readings = 1;
  size_t at = username.rfind('@');
  size_t backslash = username.find('\\');
  if (backslash != std::string::npos && backslash > 0 && backslash + 1 < username.size()) {
    absl::StrAppend(&match, eq(map.username, absl::string_view(username).substr(backslash + 1)));
    ++readings;
  }
  if (at != std::string::npos && at > 0 && at + 1 < username.size()) {
    if (!map.user_principal_name.empty()) {
      absl::StrAppend(&match, eq(map.user_principal_name, username));
    } else {
      absl::StrAppend(&match, eq(map.username, absl::string_view(username).substr(0, at)));
    }
    ++readings;
  }
  // An OR of one costs the server a union of one candidate list per login.
  if (readings > 1) match = absl::StrCat("(|", match, ")");
  return absl::StrCat("(&", map.user_filter, match, ")");
}

}  // namespace dirbridge::connector
