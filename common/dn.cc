#include "common/dn.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dirbridge::dn {
namespace {

absl::Status Bad(absl::string_view dn, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", dn.substr(0, 200), dn.size() > 200 ? "..." : "", "\" is not a DN: ", why));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// What libldap's DN parser (and so slapd) skips around RDNs and drops at
// the ends of a value: a DN that reads the same to the server must read
// the same here.
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsSpecial(char c) {
  // What RFC 4514 lets a backslash escape besides a hex pair.
  return absl::string_view("\"+,;<>\\ #=").find(c) != absl::string_view::npos;
}

// caseIgnoreMatch's view of a decoded value: ASCII case folded, tab, LF,
// VT, FF and CR mapped to space (RFC 4518 2.2), spaces at either end
// dropped and runs of them kept as one (its insignificant space handling).
// Escaped spaces are spaces like any other once decoded: the server
// compares them the same way.
std::string FoldValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c >= '\t' && c <= '\r') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(absl::ascii_tolower(c));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// A reader of one DN string, left to right.
class Reader {
 public:
  explicit Reader(absl::string_view dn) : dn_(dn) {}

  absl::StatusOr<Dn> Read() {
    Dn out;
    SkipSpaces();
    if (AtEnd()) return out;  // the root DSE's empty name
    while (true) {
      Dn::Rdn rdn;
      while (true) {
        absl::StatusOr<Ava> ava = ReadAva();
        if (!ava.ok()) return ava.status();
        rdn.push_back(*std::move(ava));
        if (AtEnd() || dn_[i_] != '+') break;
        ++i_;
      }
      // A multi-valued RDN is a set: its order carries no meaning.
      std::sort(rdn.begin(), rdn.end());
      out.rdns.push_back(std::move(rdn));
      if (AtEnd()) return out;
      if (dn_[i_] != ',') return Bad(dn_, absl::StrCat("unexpected '", dn_.substr(i_, 1), "'"));
      ++i_;
    }
  }

 private:
  bool AtEnd() const { return i_ >= dn_.size(); }
  void SkipSpaces() {
    while (!AtEnd() && IsSpace(dn_[i_])) ++i_;
  }

  absl::StatusOr<Ava> ReadAva() {
    SkipSpaces();
    size_t start = i_;
    while (!AtEnd() && (absl::ascii_isalnum(dn_[i_]) || dn_[i_] == '-' || dn_[i_] == '.')) ++i_;
    std::string type = absl::AsciiStrToLower(dn_.substr(start, i_ - start));
    if (absl::StartsWith(type, "oid.")) type = type.substr(4);  // RFC 2253's old OID form
    if (type.empty()) return Bad(dn_, "an attribute type is missing (an empty RDN?)");
    bool oid = absl::ascii_isdigit(type[0]);
    for (char c : type) {
      if (oid ? !(absl::ascii_isdigit(c) || c == '.') : c == '.') {
        return Bad(dn_, absl::StrCat("\"", type, "\" is neither an attribute name nor an OID"));
      }
    }
    SkipSpaces();
    if (AtEnd() || dn_[i_] != '=') return Bad(dn_, absl::StrCat("no '=' after \"", type, "\""));
    ++i_;
    SkipSpaces();
    bool hex = !AtEnd() && dn_[i_] == '#';
    absl::StatusOr<std::string> value = ReadValue();
    if (!value.ok()) return value.status();
    return Ava{std::move(type), *std::move(value), hex};
  }

  absl::StatusOr<std::string> ReadValue() {
    if (!AtEnd() && dn_[i_] == '#') {
      // BER in hex: kept as it is written (lower case), see Dn.
      size_t start = i_++;
      while (!AtEnd() && HexDigit(dn_[i_]) >= 0) ++i_;
      if ((i_ - start - 1) % 2 != 0 || i_ - start < 3) return Bad(dn_, "a #hex value is malformed");
      std::string hex = absl::AsciiStrToLower(dn_.substr(start, i_ - start));
      SkipSpaces();
      return hex;
    }
    std::string value;
    // Spaces not escaped at the end of a value are not part of it.
    size_t significant = 0;
    while (!AtEnd() && dn_[i_] != ',' && dn_[i_] != '+') {
      char c = dn_[i_];
      if (c == '\\') {
        if (i_ + 1 >= dn_.size()) return Bad(dn_, "it ends in a lone '\\'");
        char next = dn_[i_ + 1];
        int hi = HexDigit(next);
        if (hi >= 0) {
          int lo = i_ + 2 < dn_.size() ? HexDigit(dn_[i_ + 2]) : -1;
          if (lo < 0) return Bad(dn_, "a '\\' is followed by one hex digit, not two");
          value.push_back(static_cast<char>(hi * 16 + lo));
          i_ += 3;
        } else if (IsSpecial(next)) {
          value.push_back(next);
          i_ += 2;
        } else {
          return Bad(dn_, absl::StrCat("'\\", dn_.substr(i_ + 1, 1), "' is not an escape"));
        }
        significant = value.size();
        continue;
      }
      if (c == '"' || c == ';' || c == '<' || c == '>' || c == '\0') {
        return Bad(dn_, absl::StrCat("'", dn_.substr(i_, 1), "' must be escaped in a value"));
      }
      value.push_back(c);
      ++i_;
      if (!IsSpace(c)) significant = value.size();
    }
    value.resize(significant);
    return FoldValue(value);
  }

  absl::string_view dn_;
  size_t i_ = 0;
};

}  // namespace

absl::StatusOr<Dn> Parse(absl::string_view dn) {
  if (dn.size() > kMaxDnBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a DN is longer than ", kMaxDnBytes, " bytes (", dn.size(), ")"));
  }
  return Reader(dn).Read();
}

bool IsUnder(const Dn& dn, const Dn& base) {
  if (dn.rdns.size() < base.rdns.size()) return false;
  return std::equal(base.rdns.rbegin(), base.rdns.rend(), dn.rdns.rbegin());
}

bool IsUnder(absl::string_view dn, absl::string_view base) {
  absl::StatusOr<Dn> d = Parse(dn);
  absl::StatusOr<Dn> b = Parse(base);
  return d.ok() && b.ok() && IsUnder(*d, *b);
}

bool Equal(absl::string_view a, absl::string_view b) {
  absl::StatusOr<Dn> x = Parse(a);
  absl::StatusOr<Dn> y = Parse(b);
  return x.ok() && y.ok() && *x == *y;
}

}  // namespace dirbridge::dn
