#include "connector_svc/ldap/change_outcome.h"

#include <ldap.h>

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "connector_svc/ldap/bind_outcome.h"

namespace dirbridge::connector {
namespace {

using ChangeOutcome = Directory::ChangeOutcome;

ChangeOutcome Rejected(std::string message) {
  return {v1::AUTH_RESULT_PASSWORD_REJECTED, std::move(message)};
}

constexpr char kTooShort[] =
    "the new password is shorter than the password policy's minimum length";
constexpr char kQuality[] =
    "the new password does not meet the password policy's quality (complexity) rules";
constexpr char kHistory[] = "the new password is in the password history: it was used before";
constexpr char kTooYoung[] =
    "the password was changed too recently: the policy's minimum password age has not passed";
constexpr char kNotAllowed[] = "the directory does not let this user change their own password";

// Samba's AD DC says which rule in words after the Win32 code; Windows
// says nothing. Matched to our own words, never passed on.
std::string AdRule(absl::string_view diagnostic) {
  std::string d = absl::AsciiStrToLower(diagnostic);
  if (absl::StrContains(d, "too short")) return kTooShort;
  if (absl::StrContains(d, "complexity")) return kQuality;
  if (absl::StrContains(d, "history") || absl::StrContains(d, "already used")) return kHistory;
  if (absl::StrContains(d, "too young") || absl::StrContains(d, "minimum password age")) {
    return kTooYoung;
  }
  return "the directory's password policy refused the new password (length, complexity, "
         "history or minimum age; Active Directory does not say which)";
}

// The Win32 error AD puts first in a diagnostic: "0000052D: ...".
std::string LeadingWin32(absl::string_view diagnostic) {
  size_t end = 0;
  while (end < diagnostic.size() && end < 8 && absl::ascii_isxdigit(diagnostic[end])) ++end;
  if (end != 8) return "";
  return absl::AsciiStrToUpper(diagnostic.substr(0, 8));
}

}  // namespace

absl::StatusOr<ChangeOutcome> PasswordModifyOutcome(int ldap_code, int ppolicy_error) {
  if (ldap_code == LDAP_SUCCESS) return ChangeOutcome{v1::AUTH_RESULT_OK, ""};
  switch (ppolicy_error) {
    case PP_passwordTooShort: return Rejected(kTooShort);
    case PP_insufficientPasswordQuality: return Rejected(kQuality);
    case PP_passwordInHistory: return Rejected(kHistory);
    case PP_passwordTooYoung: return Rejected(kTooYoung);
    case PP_passwordModNotAllowed: return Rejected(kNotAllowed);
    case PP_accountLocked: return ChangeOutcome{v1::AUTH_RESULT_ACCOUNT_LOCKED, ""};
    case PP_passwordExpired: return ChangeOutcome{v1::AUTH_RESULT_PASSWORD_EXPIRED, ""};
    default: break;
  }
  switch (ldap_code) {
    case LDAP_INVALID_CREDENTIALS:
      return ChangeOutcome{v1::AUTH_RESULT_INVALID_CREDENTIALS, ""};
    case LDAP_UNWILLING_TO_PERFORM:
      // slapd's answer to an old password that does not verify.
      return ChangeOutcome{v1::AUTH_RESULT_INVALID_CREDENTIALS, ""};
    case LDAP_INSUFFICIENT_ACCESS:
      return Rejected(kNotAllowed);
    case LDAP_CONSTRAINT_VIOLATION:
      return Rejected("the directory's password policy refused the new password");
    default:
      return absl::UnavailableError(absl::StrCat(
          "ldap: the password change failed: ", ldap_err2string(ldap_code)));
  }
}

absl::StatusOr<ChangeOutcome> UnicodePwdOutcome(int ldap_code, absl::string_view diagnostic) {
  if (ldap_code == LDAP_SUCCESS) return ChangeOutcome{v1::AUTH_RESULT_OK, ""};
  std::string win32 = LeadingWin32(diagnostic);
  if (win32 == "00000056") return ChangeOutcome{v1::AUTH_RESULT_INVALID_CREDENTIALS, ""};
  if (win32 == "0000052D") return Rejected(AdRule(diagnostic));
  switch (ldap_code) {
    case LDAP_INVALID_CREDENTIALS: {
      // The account's state, in the same data codes as a bind's.
      v1::AuthResult r = BindOutcome(ldap_code, diagnostic, -1);
      // Expired or must-change is what the change is for; the old
      // password itself was refused.
      if (r == v1::AUTH_RESULT_PASSWORD_EXPIRED || r == v1::AUTH_RESULT_MUST_CHANGE_PASSWORD) {
        r = v1::AUTH_RESULT_INVALID_CREDENTIALS;
      }
      return ChangeOutcome{r, ""};
    }
    case LDAP_CONSTRAINT_VIOLATION:
      return Rejected(AdRule(diagnostic));
    case LDAP_INSUFFICIENT_ACCESS:
      return Rejected(absl::StrCat(kNotAllowed,
                                   " (\"User cannot change password\", or the Change "
                                   "Password right denied)"));
    case LDAP_UNWILLING_TO_PERFORM:
    case LDAP_CONFIDENTIALITY_REQUIRED:
    case LDAP_STRONG_AUTH_REQUIRED:
      return absl::FailedPreconditionError(
          "ldap: Active Directory refused the password change: it takes one only over an "
          "encrypted connection (set ldap.tls to ldaps or starttls)");
    default:
      return absl::UnavailableError(absl::StrCat(
          "ldap: the password change failed: ", ldap_err2string(ldap_code)));
  }
}

absl::StatusOr<std::string> AdPasswordValue(absl::string_view utf8) {
  std::string out;
  out.reserve(2 * utf8.size() + 4);
  auto put16 = [&out](uint32_t unit) {
    out.push_back(static_cast<char>(unit & 0xff));
    out.push_back(static_cast<char>(unit >> 8));
  };
  // What is built so far is password: wiped before any refusal.
  auto invalid = [&out]() {
    crypto::Wipe(out);
    return absl::InvalidArgumentError("the password is not valid UTF-8");
  };
  put16('"');
  for (size_t i = 0; i < utf8.size();) {
    uint8_t c = static_cast<uint8_t>(utf8[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > utf8.size()) return invalid();
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (int k = 1; k < len; ++k) {
      uint8_t cc = static_cast<uint8_t>(utf8[i + k]);
      if ((cc >> 6) != 0x2) return invalid();
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return invalid();
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put16(0xd800 | (cp >> 10));
      put16(0xdc00 | (cp & 0x3ff));
    } else {
      put16(cp);
    }
    i += len;
  }
  put16('"');
  return out;
}

}  // namespace dirbridge::connector
