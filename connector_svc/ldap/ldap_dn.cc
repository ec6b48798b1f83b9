#include "connector_svc/ldap/ldap_dn.h"

#include <ldap.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dirbridge::connector {

absl::Status ValidateDn(absl::string_view dn, absl::string_view what) {
  if (dn.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  if (dn.size() > 4096) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is longer than 4096 bytes"));
  }
  if (!IsValidUtf8(dn) || dn.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid UTF-8"));
  }
  std::string s(dn);
  LDAPDN parsed = nullptr;
  int rc = ldap_str2dn(s.c_str(), &parsed, LDAP_DN_FORMAT_LDAPV3);
  if (parsed) ldap_dnfree(parsed);
  if (rc != LDAP_SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", dn, "\" is not a valid DN (RFC 4514)"));
  }
  return absl::OkStatus();
}

std::string NormalizeDn(absl::string_view dn) {
  std::string s(dn);
  char* out = nullptr;
  if (ldap_dn_normalize(s.c_str(), LDAP_DN_FORMAT_LDAPV3, &out,
                        LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS && out) {
    s = out;
    ldap_memfree(out);
  }
  return absl::AsciiStrToLower(s);
}

std::optional<AttributeRange> ParseAttributeRange(absl::string_view description) {
  std::vector<absl::string_view> parts = absl::StrSplit(description, ';');
  if (parts.size() < 2) return std::nullopt;
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view opt = parts[i];
    if (!absl::ConsumePrefix(&opt, "range=") && !absl::ConsumePrefix(&opt, "Range=")) {
      continue;
    }
    std::pair<absl::string_view, absl::string_view> lh = absl::StrSplit(opt, '-');
    AttributeRange r;
    r.attribute = absl::AsciiStrToLower(parts[0]);
    if (!absl::SimpleAtoi(lh.first, &r.low)) return std::nullopt;
    if (lh.second != "*") {
      uint64_t high = 0;
      if (!absl::SimpleAtoi(lh.second, &high) || high < r.low) return std::nullopt;
      r.high = high;
    }
    return r;
  }
  return std::nullopt;
}

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates, and code points past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace dirbridge::connector
