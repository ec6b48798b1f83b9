#ifndef DIRBRIDGE_CLOUD_SVC_API_USERNAME_H_
#define DIRBRIDGE_CLOUD_SVC_API_USERNAME_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dirbridge::cloud {

// Longest username the cloud routes, in bytes. A username is a backend's
// (or a device's) input that costs a connector an LDAP search and the
// cloud a throttle bucket; no directory's login names come near it
// (sAMAccountName: 20 characters, a UPN: 256 would be absurd).
inline constexpr size_t kMaxUsernameBytes = 256;

// INVALID_ARGUMENT for an empty username or one over kMaxUsernameBytes,
// before any routing: Authenticate, Directory.GetUser, Activate.
absl::Status CheckUsername(absl::string_view username);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_USERNAME_H_
