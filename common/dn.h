#ifndef DIRBRIDGE_COMMON_DN_H_
#define DIRBRIDGE_COMMON_DN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dirbridge::dn {

// A distinguished name parsed per RFC 4514, in the form in which two DNs
// can be compared without asking the server: RDNs leftmost first; each RDN
// a set of (type, value) pairs, sorted; escapes (`\,`, `\2C`) decoded;
// types lower-cased; values as caseIgnoreMatch sees them (ASCII case
// folded, tab to CR as spaces, leading, trailing and repeated spaces
// dropped, RFC 4518). The parse is what makes `cn=x\,ou=People,dc=example`
// one RDN under dc=example and never an entry of ou=People: a comparison
// of strings cannot tell.
// A `#hex` value stays in its hex form, marked as such, so it equals only
// the same hex (never the string `\#04...`, which reads the same): where
// two forms might still be equal on the server they compare unequal, and a
// check built on this refuses rather than lets through.
struct Ava {
  std::string type;
  std::string value;
  bool hex = false;  // value is `#` and the BER's hex digits, lower case

  friend auto operator<=>(const Ava&, const Ava&) = default;
};
struct Dn {
  using Rdn = std::vector<Ava>;
  std::vector<Rdn> rdns;

  friend bool operator==(const Dn&, const Dn&) = default;
};

// Longest DN accepted, in bytes: DNs come from connectors and admins.
inline constexpr size_t kMaxDnBytes = 4096;

// INVALID_ARGUMENT, naming the problem and quoting `dn`, for what RFC 4514
// does not allow: an empty RDN, a type that is neither a name nor an OID,
// a missing `=`, a bad escape, an unescaped `"`, `;`, `<` or `>`, or more
// than kMaxDnBytes. The empty DN (the root) parses to no RDNs.
absl::StatusOr<Dn> Parse(absl::string_view dn);

// Whether `dn` is `base` or an entry of the subtree under it.
bool IsUnder(const Dn& dn, const Dn& base);

// The same for two DNs as text; false when either does not parse.
bool IsUnder(absl::string_view dn, absl::string_view base);
bool Equal(absl::string_view a, absl::string_view b);

}  // namespace dirbridge::dn

#endif  // DIRBRIDGE_COMMON_DN_H_
