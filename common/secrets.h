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

// A random identifier (128 bits, hex) for tenants, connectors, alerts.
std::string NewId();

std::string Sha256Hex(absl::string_view data);
std::string HexEncode(absl::string_view bytes);

// Constant-time comparison, for secrets and their hashes.
bool SecureEquals(absl::string_view a, absl::string_view b);

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_SECRETS_H_
