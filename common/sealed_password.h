#ifndef DIRBRIDGE_COMMON_SEALED_PASSWORD_H_
#define DIRBRIDGE_COMMON_SEALED_PASSWORD_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace dirbridge {

// Auth.Authenticate's sealed_password: a crypto::Seal box to the connector's
// password key, with this info and AAD (README, "Sealed boxes").
inline constexpr char kSealedPasswordInfo[] = "dirbridge sealed password v1";

// Binds the box to one tenant and one username: replayed for another
// username, or to another tenant's connector, it does not open.
inline std::string SealedPasswordAad(absl::string_view tenant_id, absl::string_view username) {
  return absl::StrCat(absl::string_view("dirbridge-password-v1\0", 22), tenant_id,
                      absl::string_view("\0", 1), username);
}

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_SEALED_PASSWORD_H_
