#include "connector_svc/ldap/ldap_dn.h"

#include <ldap.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

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

namespace {

// Attribute types that name the same attribute, OID to the name RFC 4519
// gives it: "2.5.4.11=x" and "ou=x" are one RDN.
std::string CanonicalType(absl::string_view type) {
  std::string t = absl::AsciiStrToLower(type);
  if (absl::StartsWith(t, "oid.")) t.erase(0, 4);
  static constexpr std::pair<const char*, const char*> kNames[] = {
      {"2.5.4.3", "cn"},  {"2.5.4.6", "c"},  {"2.5.4.7", "l"},  {"2.5.4.8", "st"},
      {"2.5.4.10", "o"},  {"2.5.4.11", "ou"}, {"0.9.2342.19200300.100.1.25", "dc"},
      {"0.9.2342.19200300.100.1.1", "uid"}, {"commonname", "cn"},
      {"domaincomponent", "dc"}, {"organizationalunitname", "ou"},
      {"organizationname", "o"}, {"userid", "uid"}};
  for (const auto& [oid, name] : kNames) {
    if (t == oid) return name;
  }
  return t;
}

// caseIgnoreMatch's view of a string value: ASCII case folded, leading and
// trailing spaces gone, inner runs of spaces one space.
std::string CanonicalValue(absl::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool space = false;
  for (char c : absl::StripAsciiWhitespace(v)) {
    if (c == ' ') {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

absl::StatusOr<ParsedDn> ParseDn(absl::string_view dn, absl::string_view what) {
  if (absl::Status st = ValidateDn(dn, what); !st.ok()) return st;
  std::string s(dn);
  LDAPDN parsed = nullptr;
  if (ldap_str2dn(s.c_str(), &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
    if (parsed) ldap_dnfree(parsed);
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", dn, "\" is not a valid DN (RFC 4514)"));
  }
  ParsedDn out;
  for (int i = 0; parsed != nullptr && parsed[i] != nullptr; ++i) {
    ParsedDn::Rdn rdn;
    for (int j = 0; parsed[i][j] != nullptr; ++j) {
      const LDAPAVA* ava = parsed[i][j];
      absl::string_view type(ava->la_attr.bv_val, ava->la_attr.bv_len);
      absl::string_view value(ava->la_value.bv_val, ava->la_value.bv_len);
      // A #hex value is compared as its bytes, never as a string: the two
      // spellings of one value then differ, which refuses, never admits.
      std::string v = (ava->la_flags & LDAP_AVA_BINARY)
                          ? absl::StrCat("#", absl::BytesToHexString(value))
                          : absl::StrCat("=", CanonicalValue(value));
      rdn.emplace_back(CanonicalType(type), std::move(v));
    }
    std::sort(rdn.begin(), rdn.end());  // an RDN is a set: a+b is b+a
    out.rdns.push_back(std::move(rdn));
  }
  if (parsed) ldap_dnfree(parsed);
  return out;
}

bool IsUnder(const ParsedDn& dn, const ParsedDn& base) {
  if (dn.rdns.size() < base.rdns.size()) return false;
  return std::equal(base.rdns.rbegin(), base.rdns.rend(), dn.rdns.rbegin());
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
