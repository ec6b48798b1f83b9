// DN parsing and normalisation: common/dn (the cloud's, for "is this user
// inside the mapping") against libldap's parser (the connector's, and what
// the server itself runs), and each against itself.
//  - dn::Parse's form is a fixed point: written back with EscapeDnValue it
//    parses to the same Dn.
//  - Where both parse a DN, they see the same RDNs and the same values: a
//    value dn::Parse calls equal to another must be equal for the server.
//  - NormalizeDn (libldap) is idempotent; IsUnder holds of a DN and its parent.
#include <ldap.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/dn.h"
#include "common/ldap_escape.h"
#include "connector_svc/ldap/ldap_dn.h"
#include "tests/fuzz/fuzz_support.h"

namespace dirbridge {
namespace {

// caseIgnoreMatch as dn.h describes it, written again: ASCII case folded,
// leading and trailing spaces dropped, runs of spaces one.
std::string Fold(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c >= '\t' && c <= '\r') c = ' ';  // RFC 4518 2.2
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(absl::ascii_tolower(c));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string Write(const dn::Dn& d) {
  std::string out;
  for (size_t i = 0; i < d.rdns.size(); ++i) {
    if (i > 0) out += ",";
    for (size_t j = 0; j < d.rdns[i].size(); ++j) {
      if (j > 0) out += "+";
      const dn::Ava& ava = d.rdns[i][j];
      if (ava.hex) {
        out += ava.type + "=" + ava.value;
      } else {
        out += ava.type + "=" + EscapeDnValue(ava.value);
      }
    }
  }
  return out;
}

void CheckFixedPoint(const dn::Dn& d) {
  std::string again = Write(d);
  if (again.size() > dn::kMaxDnBytes) return;
  absl::StatusOr<dn::Dn> reparsed = dn::Parse(again);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(*reparsed == d);
}

// libldap's view of one AVA in dn::Parse's form. A value that is a #hex
// for one must be a #hex for the other: a string that reads "#04..." is
// not the BER value #04...
dn::Ava AsOurs(const LDAPAVA* ava) {
  std::string type = absl::AsciiStrToLower(
      absl::string_view(ava->la_attr.bv_val, ava->la_attr.bv_len));
  if (absl::StartsWith(type, "oid.")) type.erase(0, 4);
  absl::string_view value(ava->la_value.bv_val, ava->la_value.bv_len);
  if (ava->la_flags & LDAP_AVA_BINARY) {
    return {type, absl::StrCat("#", absl::BytesToHexString(value)), true};
  }
  return {type, Fold(value), false};
}

void CheckAgainstLibldap(const std::string& s, const dn::Dn& ours) {
  if (!connector::IsValidUtf8(s) || s.find('\0') != std::string::npos) return;
  LDAPDN theirs = nullptr;
  if (ldap_str2dn(s.c_str(), &theirs, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
    if (theirs) ldap_dnfree(theirs);
    return;  // stricter than dn::Parse here: refusing is safe
  }
  size_t n = 0;
  for (; theirs != nullptr && theirs[n] != nullptr; ++n) {
  }
  FUZZ_CHECK(n == ours.rdns.size());
  for (size_t i = 0; i < n; ++i) {
    dn::Dn::Rdn rdn;
    for (int j = 0; theirs[i][j] != nullptr; ++j) rdn.push_back(AsOurs(theirs[i][j]));
    std::sort(rdn.begin(), rdn.end());
    const dn::Dn::Rdn& mine = ours.rdns[i];
    if (rdn != mine) {
      std::fprintf(stderr, "RDN %zu differs from libldap's\n", i);
      for (const dn::Ava& a : rdn) {
        std::fprintf(stderr, "  libldap   %s = \"%s\"%s\n", a.type.c_str(),
                     absl::CEscape(a.value).c_str(), a.hex ? " (hex)" : "");
      }
      for (const dn::Ava& a : mine) {
        std::fprintf(stderr, "  dn::Parse %s = \"%s\"%s\n", a.type.c_str(),
                     absl::CEscape(a.value).c_str(), a.hex ? " (hex)" : "");
      }
      std::abort();
    }
  }
  ldap_dnfree(theirs);
}

void Check(const std::string& s) {
  absl::StatusOr<dn::Dn> ours = dn::Parse(s);
  if (ours.ok()) {
    CheckFixedPoint(*ours);
    FUZZ_CHECK(dn::IsUnder(*ours, *ours));
    if (!ours->rdns.empty()) {
      dn::Dn parent = *ours;
      parent.rdns.erase(parent.rdns.begin());
      FUZZ_CHECK(dn::IsUnder(*ours, parent));
      FUZZ_CHECK(!dn::IsUnder(parent, *ours));
    }
    CheckAgainstLibldap(s, *ours);
  }
  std::string once = connector::NormalizeDn(s);
  FUZZ_CHECK(connector::NormalizeDn(once) == once);
  absl::StatusOr<connector::ParsedDn> parsed = connector::ParseDn(s, "dn");
  if (parsed.ok()) FUZZ_CHECK(connector::IsUnder(*parsed, *parsed));
}

}  // namespace
}  // namespace dirbridge

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dirbridge::Check(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
