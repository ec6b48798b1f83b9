#ifndef DIRBRIDGE_CONNECTOR_SVC_PASSWORD_KEY_H_
#define DIRBRIDGE_CONNECTOR_SVC_PASSWORD_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/crypto.h"

namespace dirbridge::connector {

// The X25519 key pair that sealed passwords are sealed to. Made on first
// run, kept in <state_dir>/password-key (0600); only its public half leaves
// the connector (in Hello, then in ListConnectors).
absl::StatusOr<crypto::X25519KeyPair> LoadOrCreatePasswordKey(const std::string& state_dir);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_PASSWORD_KEY_H_
