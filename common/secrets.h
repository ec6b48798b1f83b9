#ifndef DIRBRIDGE_COMMON_SECRETS_H_
#define DIRBRIDGE_COMMON_SECRETS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace dirbridge {

// Random bytes from OpenSSL's CSPRNG.
absl::StatusOr<std::string> RandomBytes(size_t n);

// 256 random bits as unpadded base64url: tokens, registration keys and
// credentials. Shown once, stored only as Sha256Hex.
absl::StatusOr<std::string> NewSecretToken();

// An identifier (128 bits, hex: 48 bits of time in ms, 80 random) for
// tenants, connectors, users, alerts. Not a secret.
std::string NewId();

std::string Sha256Hex(absl::string_view data);
std::string HexEncode(absl::string_view bytes);

// Constant-time comparison, for secrets and their hashes.
bool SecureEquals(absl::string_view a, absl::string_view b);

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_SECRETS_H_
