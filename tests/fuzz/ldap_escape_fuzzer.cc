// LDAP filter and DN escaping against references: libldap's own filter
// encoder (what the server is sent) and DN parser, and common/dn.
//  - UserLookupFilter(name) always encodes, and the equality values the
//    server sees are exactly the name and its readings, byte for byte:
//    no unescaped `*`, `(`, `)`, `\` or NUL survives to change the filter.
//  - EscapeFilterValue(v) holds none of those bare, and unescapes to v.
//  - "cn=" + EscapeDnValue(v) + ",dc=example" is one RDN of value v under
//    dc=example for libldap and for dn::Parse (folded as caseIgnoreMatch).
#include <lber.h>
#include <ldap.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "common/dn.h"
#include "common/ldap_escape.h"
#include "connector_svc/ldap/attribute_map.h"
#include "connector_svc/ldap/ldap_dn.h"
#include "connector_svc/ldap/user_filter.h"
#include "tests/fuzz/fuzz_support.h"

// libldap's filter encoder and unescaper: exported, but declared only in
// its private header, which Debian does not ship.
extern "C" int ldap_pvt_put_filter(BerElement* ber, const char* str);
extern "C" ber_slen_t ldap_pvt_filter_value_unescape(char* filter);

namespace dirbridge::connector {
namespace {

using Ava = std::pair<std::string, std::string>;

// The equality assertions in a BER filter (RFC 4511 4.5.1), in order.
// Only what UserLookupFilter can make is expected: and, or, not, equality.
bool CollectEqualities(const unsigned char*& p, const unsigned char* end,
                       std::vector<Ava>& out);

bool ReadTl(const unsigned char*& p, const unsigned char* end, unsigned char& tag,
            size_t& len) {
  if (end - p < 2) return false;
  tag = *p++;
  unsigned char l = *p++;
  if (l < 0x80) {
    len = l;
  } else {
    int n = l & 0x7f;
    if (n == 0 || n > 4 || end - p < n) return false;
    len = 0;
    for (int i = 0; i < n; ++i) len = (len << 8) | *p++;
  }
  return static_cast<size_t>(end - p) >= len;
}

bool CollectEqualities(const unsigned char*& p, const unsigned char* end,
                       std::vector<Ava>& out) {
  unsigned char tag;
  size_t len;
  if (!ReadTl(p, end, tag, len)) return false;
  const unsigned char* body_end = p + len;
  switch (tag) {
    case 0xa0:  // and
    case 0xa1:  // or
    case 0xa2:  // not
      while (p < body_end) {
        if (!CollectEqualities(p, body_end, out)) return false;
      }
      return true;
    case 0xa3: {  // equalityMatch: attribute, value
      unsigned char t1, t2;
      size_t l1, l2;
      if (!ReadTl(p, body_end, t1, l1) || t1 != 0x04) return false;
      std::string attr(reinterpret_cast<const char*>(p), l1);
      p += l1;
      if (!ReadTl(p, body_end, t2, l2) || t2 != 0x04) return false;
      std::string value(reinterpret_cast<const char*>(p), l2);
      p += l2;
      out.emplace_back(std::move(attr), std::move(value));
      return p == body_end;
    }
    default:
      return false;  // a substring or presence filter: an escape failed
  }
}

// The filter as libldap encodes it for the server; false if it refuses it.
bool Encode(const std::string& filter, std::vector<Ava>& avas) {
  BerElement* ber = ber_alloc_t(LBER_USE_DER);
  FUZZ_CHECK(ber != nullptr);
  bool ok = ldap_pvt_put_filter(ber, filter.c_str()) != -1;
  berval* bv = nullptr;
  if (ok && ber_flatten(ber, &bv) == 0 && bv != nullptr) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(bv->bv_val);
    const unsigned char* end = p + bv->bv_len;
    ok = CollectEqualities(p, end, avas) && p == end;
  } else {
    ok = false;
  }
  if (bv) ber_bvfree(bv);
  ber_free(ber, 1);
  return ok;
}

void CheckFilterValue(const std::string& v) {
  std::string e = EscapeFilterValue(v);
  for (size_t i = 0; i < e.size(); ++i) {
    char c = e[i];
    FUZZ_CHECK(c != '*' && c != '(' && c != ')' && c != '\0');
    if (c == '\\') {
      FUZZ_CHECK(i + 2 < e.size());
      FUZZ_CHECK(absl::ascii_isxdigit(e[i + 1]) && absl::ascii_isxdigit(e[i + 2]));
    }
  }
  std::string buf = e;
  ber_slen_t n = ldap_pvt_filter_value_unescape(buf.data());
  FUZZ_CHECK(n >= 0);
  FUZZ_CHECK(std::string(buf.data(), n) == v);
}

void CheckUserFilter(const std::string& name) {
  for (LdapProfile profile : {LdapProfile::kOpenLdap, LdapProfile::kActiveDirectory}) {
    absl::StatusOr<AttributeMap> map = ResolveAttributeMap(profile, {});
    FUZZ_CHECK(map.ok());
    absl::StatusOr<std::string> filter = UserLookupFilter(*map, name);
    if (!filter.ok()) {
      // Refused only for what no directory holds.
      FUZZ_CHECK(name.empty() || name.size() > 1024 || !IsValidUtf8(name));
      continue;
    }
    std::vector<Ava> avas;
    FUZZ_CHECK(Encode(*filter, avas));
    std::vector<Ava> base;
    FUZZ_CHECK(Encode(map->user_filter, base));
    // The profile's own filter, then the readings of the name.
    FUZZ_CHECK(avas.size() > base.size());
    FUZZ_CHECK(std::equal(base.begin(), base.end(), avas.begin()));
    std::vector<Ava> readings(avas.begin() + base.size(), avas.end());
    std::vector<Ava> want = {{map->username, name}};
    size_t bs = name.find('\\');
    if (bs != std::string::npos && bs > 0 && bs + 1 < name.size()) {
      want.emplace_back(map->username, name.substr(bs + 1));
    }
    size_t at = name.rfind('@');
    if (at != std::string::npos && at > 0 && at + 1 < name.size()) {
      if (!map->user_principal_name.empty()) {
        want.emplace_back(map->user_principal_name, name);
      } else {
        want.emplace_back(map->username, name.substr(0, at));
      }
    }
    FUZZ_CHECK(readings == want);
  }
}

void CheckDnValue(const std::string& v) {
  std::string e = EscapeDnValue(v);
  std::string dn = "cn=" + e + ",dc=example";
  // dn::Parse: one RDN of the value, as caseIgnoreMatch folds it.
  absl::StatusOr<dn::Dn> parsed = dn::Parse(dn);
  if (dn.size() > dn::kMaxDnBytes) {
    FUZZ_CHECK(!parsed.ok());
  } else {
    FUZZ_CHECK(parsed.ok());
    FUZZ_CHECK(parsed->rdns.size() == 2);
    FUZZ_CHECK(parsed->rdns[0].size() == 1);
    FUZZ_CHECK(parsed->rdns[0][0].type == "cn" && !parsed->rdns[0][0].hex);
    std::string folded;
    for (char c : v) {
      if (c >= '\t' && c <= '\r') c = ' ';  // RFC 4518 2.2
      if (c == ' ' && (folded.empty() || folded.back() == ' ')) continue;
      folded.push_back(absl::ascii_tolower(c));
    }
    while (!folded.empty() && folded.back() == ' ') folded.pop_back();
    FUZZ_CHECK(parsed->rdns[0][0].value == folded);
    FUZZ_CHECK(parsed->rdns[1] == (dn::Dn::Rdn{{"dc", "example"}}));
  }
  // libldap: the value's very bytes. (It takes UTF-8 only, without NUL,
  // as ValidateDn does.)
  if (!IsValidUtf8(v) || v.find('\0') != std::string::npos) return;
  LDAPDN ldn = nullptr;
  int rc = ldap_str2dn(dn.c_str(), &ldn, LDAP_DN_FORMAT_LDAPV3);
  FUZZ_CHECK(rc == LDAP_SUCCESS);
  FUZZ_CHECK(ldn != nullptr && ldn[0] != nullptr && ldn[1] != nullptr && ldn[2] == nullptr);
  FUZZ_CHECK(ldn[0][0] != nullptr && ldn[0][1] == nullptr);
  const berval& got = ldn[0][0]->la_value;
  FUZZ_CHECK(std::string(got.bv_val, got.bv_len) == v);
  ldap_dnfree(ldn);
}

}  // namespace
}  // namespace dirbridge::connector

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  dirbridge::connector::CheckFilterValue(s);
  dirbridge::connector::CheckUserFilter(s);
  dirbridge::connector::CheckDnValue(s);
  return 0;
}
