#ifndef DIRBRIDGE_COMMON_LDAP_ESCAPE_H_
#define DIRBRIDGE_COMMON_LDAP_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace dirbridge {

// A value made safe for the inside of an LDAP search filter (RFC 4515 §3):
// `*`, `(`, `)`, `\` and NUL become \2a, \28, \29, \5c, \00. Escape each
// value exactly once, at the moment it is put into a filter.
std::string EscapeFilterValue(absl::string_view value);

// A value made safe as the value of one RDN of a DN (RFC 4514 §2.4):
// `,`, `+`, `"`, `\`, `<`, `>`, `;`, `=` are backslash-escaped, a leading
// `#` or space and a trailing space too, and NUL and the other control
// characters become hex pairs (\00, \09, \0a...).
std::string EscapeDnValue(absl::string_view value);

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_LDAP_ESCAPE_H_
