#include "connector_svc/ldap/attribute_map.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/ldap_escape.h"
#include "common/secrets.h"

namespace dirbridge::connector {
namespace {

// userAccountControl ACCOUNTDISABLE (MS-ADTS 2.2.16).
constexpr int64_t kUacAccountDisable = 0x2;

AttributeMap OpenLdapDefaults() {
  AttributeMap m;
  m.username = "uid";
  m.id = "entryUUID";
  m.email = "mail";
  m.display_name = "displayName";
  m.groups = "memberOf";
  m.member = "member";
  m.group_name = "cn";
  m.ou_name = "ou";
  m.user_filter = "(|(objectClass=inetOrgPerson)(objectClass=posixAccount))";
  m.group_filter = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))";
  m.ou_filter = "(objectClass=organizationalUnit)";
  m.change_marker = "entryCSN";
  return m;
}

AttributeMap ActiveDirectoryDefaults() {
  AttributeMap m;
  m.username = "sAMAccountName";
  m.id = "objectGUID";
  m.binary_id = true;
  m.user_principal_name = "userPrincipalName";
  m.email = "mail";
  m.display_name = "displayName";
  m.groups = "memberOf";
  m.disabled = "userAccountControl";
  m.member = "member";
  m.group_name = "cn";
  m.ou_name = "ou";
  m.user_filter = "(&(objectCategory=person)(objectClass=user))";
  m.group_filter = "(objectClass=group)";
  m.ou_filter = "(objectClass=organizationalUnit)";
  m.in_chain = true;
  m.memberof_backlink = true;
  m.change_marker = "uSNChanged";
  m.numeric_marker = true;
  return m;
}

std::string* Field(AttributeMap& m, const std::string& key) {
  if (key == "username") return &m.username;
  if (key == "id") return &m.id;
  if (key == "user_principal_name") return &m.user_principal_name;
  if (key == "email") return &m.email;
  if (key == "display_name") return &m.display_name;
  if (key == "groups") return &m.groups;
  if (key == "disabled") return &m.disabled;
  if (key == "member") return &m.member;
  if (key == "group_name") return &m.group_name;
  if (key == "ou_name") return &m.ou_name;
  if (key == "user_filter") return &m.user_filter;
  if (key == "group_filter") return &m.group_filter;
  if (key == "ou_filter") return &m.ou_filter;
  return nullptr;
}

std::string Lower(const std::string& s) { return absl::AsciiStrToLower(s); }

}  // namespace

std::vector<std::string> AttributeMapKeys() {
  return {"username", "id", "user_principal_name", "email", "display_name",
          "groups", "disabled", "member", "group_name", "ou_name",
          "user_filter", "group_filter", "ou_filter"};
}

absl::StatusOr<AttributeMap> ResolveAttributeMap(
    LdapProfile profile, const std::map<std::string, std::string>& overrides) {
  AttributeMap m = profile == LdapProfile::kActiveDirectory ? ActiveDirectoryDefaults()
                                                            : OpenLdapDefaults();
  for (const auto& [key, value] : overrides) {
    std::string* f = Field(m, key);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown key \"ldap.attributes.", key, "\" (known: ",
                       absl::StrJoin(AttributeMapKeys(), ", "), ")"));
    }
    *f = value;
    if (key == "id") m.binary_id = Lower(value) == "objectguid";
  }
  if (m.username.empty() || m.id.empty()) {
    return absl::InvalidArgumentError("ldap.attributes: username and id cannot be empty");
  }
  return m;
}

std::string AttributeMap::ChangedSince(const std::string& watermark) const {
  if (numeric_marker) {
    uint64_t n = 0;
    if (!absl::SimpleAtoi(watermark, &n)) n = 0;
    return absl::StrCat("(", change_marker, ">=", n + 1, ")");
  }
  std::string w = EscapeFilterValue(watermark);
  return absl::StrCat("(&(", change_marker, ">=", w, ")(!(", change_marker, "=", w, ")))");
}

bool AttributeMap::MarkerAfter(const std::string& a, const std::string& b) const {
  if (numeric_marker) {
    uint64_t x = 0, y = 0;
    if (!absl::SimpleAtoi(a, &x)) x = 0;  // not a number: before any
    if (!absl::SimpleAtoi(b, &y)) y = 0;
    return x > y;
  }
  return a > b;  // entryCSN: timestamp-first text, ordered as it reads
}

std::vector<std::string> AttributeMap::UserAttributes() const {
  std::vector<std::string> out;
  if (!change_marker.empty()) out.push_back(change_marker);
  for (const std::string* a : {&username, &id, &user_principal_name, &email,
                               &display_name, &groups, &disabled}) {
    if (!a->empty()) out.push_back(*a);
  }
  // Fallback for a display name.
  out.push_back("cn");
  return out;
}

v1::User AttributeMap::ToUser(const LdapEntry& e) const {
  v1::User u;
  u.set_dn(e.dn);
  u.set_username(e.First(Lower(username)));
  const std::string& raw_id = e.First(Lower(id));
  u.set_id(binary_id && raw_id.size() == 16 ? FormatObjectGuid(raw_id) : raw_id);
  if (!user_principal_name.empty()) {
    u.set_user_principal_name(e.First(Lower(user_principal_name)));
  }
  if (!email.empty()) u.set_email(e.First(Lower(email)));
  std::string display = display_name.empty() ? "" : e.First(Lower(display_name));
  u.set_display_name(display.empty() ? e.First("cn") : display);
  if (!groups.empty()) {
    auto it = e.attributes.find(Lower(groups));
    if (it != e.attributes.end()) {
      for (const std::string& g : it->second) u.add_groups(g);
    }
  }
  if (!disabled.empty()) {
    int64_t uac = 0;
    if (absl::SimpleAtoi(e.First(Lower(disabled)), &uac)) {
      u.set_disabled((uac & kUacAccountDisable) != 0);
    }
  }
  return u;
}

std::string FormatObjectGuid(absl::string_view b) {
  if (b.size() != 16) return HexEncode(b);
  auto byte = [&](int i) { return static_cast<unsigned char>(b[i]); };
  return absl::StrFormat(
      "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
      byte(3), byte(2), byte(1), byte(0), byte(5), byte(4), byte(7), byte(6),
      byte(8), byte(9), byte(10), byte(11), byte(12), byte(13), byte(14), byte(15));
}

}  // namespace dirbridge::connector
