#ifndef DIRBRIDGE_CONNECTOR_SVC_PINNED_CA_H_
#define DIRBRIDGE_CONNECTOR_SVC_PINNED_CA_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dirbridge::connector {

// Join token plus CA hash: opens a TLS connection to the cloud's tunnel
// listener without trusting anything yet, takes the CA certificate from the
// chain the server presents, and returns it (PEM) only if its SHA-256 is
// `ca_sha256` (hex, as GetRegistrationKey showed it). The real connection
// is then made with that CA as the only trust anchor, so the registration
// key is sent to no one else. PERMISSION_DENIED on a mismatch.
absl::StatusOr<std::string> FetchPinnedCa(const std::string& address,
                                          const std::string& ca_sha256, absl::Duration timeout);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_PINNED_CA_H_
