#include "common/ldap_escape.h"

#include "absl/strings/str_format.h"

namespace dirbridge {

std::string EscapeFilterValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '*':
      case '(':
      case ')':
      case '\\':
      case '\0':
        absl::StrAppendFormat(&out, "\\%02x", static_cast<unsigned char>(c));
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string EscapeDnValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    bool first = i == 0;
    bool last = i + 1 == value.size();
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      // NUL and the control characters as hex pairs: libldap (and so
      // slapd) drops a tab, CR or LF at either end of a value as it drops
      // spaces, and a value must reach the server as it was.
      absl::StrAppendFormat(&out, "\\%02x", u);
    } else if (c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' ||
               c == '>' || c == ';' || c == '=' || (first && c == '#') ||
               ((first || last) && c == ' ')) {
      out.push_back('\\');
      out.push_back(c);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace dirbridge
