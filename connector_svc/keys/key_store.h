#ifndef DIRBRIDGE_CONNECTOR_SVC_KEYS_KEY_STORE_H_
#define DIRBRIDGE_CONNECTOR_SVC_KEYS_KEY_STORE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace dirbridge::connector {

// What binds a wrapped ekey to its owner: a blob moved to another user,
// tenant or key id does not unwrap.
struct EkeyLabel {
  std::string tenant_id;
  std::string user_id;
  std::string key_id;
};

// The connector's key-encryption keys (KEKs), in versions: the current one
// wraps new ekeys, every one still unwraps. The cloud stores only what Wrap
// returns. Implementations are thread-safe.
class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // AES-256-GCM under the current KEK; the blob names the KEK version.
  virtual absl::StatusOr<std::string> Wrap(const EkeyLabel& label, const std::string& ekey) = 0;
  // FAILED_PRECONDITION for a KEK version this connector does not hold;
  // DATA_LOSS when the blob was altered or belongs to another label.
  virtual absl::StatusOr<std::string> Unwrap(const EkeyLabel& label,
                                             const std::string& wrapped) = 0;
  virtual uint32_t current_version() = 0;
};

// Wrapped ekey: 0x01 || kek_version (4 bytes, big-endian) || nonce (12) ||
// AES-256-GCM(kek, nonce, ekey, aad) where aad = "dirbridge-ekey-v1" 0x00
// tenant 0x00 user 0x00 key_id 0x00 kek_version (4 bytes).
std::string EkeyAad(const EkeyLabel& label, uint32_t version);
absl::StatusOr<uint32_t> WrappedKekVersion(const std::string& wrapped);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_KEYS_KEY_STORE_H_
