#ifndef DIRBRIDGE_CONNECTOR_SVC_IDENTITY_H_
#define DIRBRIDGE_CONNECTOR_SVC_IDENTITY_H_

#include <grpcpp/client_context.h>

#include <string>

#include "absl/status/statusor.h"

namespace dirbridge::connector {

// Who this connector is to the cloud: written once by `register`, read by
// `run`. Lives in <state_dir>/identity (mode 0600, the directory 0700).
struct Identity {
  std::string connector_id;
  std::string tenant_id;
  std::string cloud_address;
  std::string credential;  // secret

  // Attaches the credential to a Connect call. The one place that knows how
  // the connector proves itself, so that a client certificate can replace
  // the credential without touching callers.
  void Authenticate(grpc::ClientContext& context) const;
};

absl::Status SaveIdentity(const std::string& state_dir, const Identity& identity);
// FAILED_PRECONDITION with the fix when the file is missing or readable by
// group or others.
absl::StatusOr<Identity> LoadIdentity(const std::string& state_dir);

// Creates the state dir (0700) or checks an existing one.
absl::Status EnsureStateDir(const std::string& state_dir);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_IDENTITY_H_
