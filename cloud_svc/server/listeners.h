#ifndef DIRBRIDGE_CLOUD_SVC_SERVER_LISTENERS_H_
#define DIRBRIDGE_CLOUD_SVC_SERVER_LISTENERS_H_

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud_svc/config/cloud_config.h"
#include "cloud_svc/routing/session.h"

namespace dirbridge::cloud {

// The backend listener's credentials: plaintext under --insecure, else the
// --backend_tls_cert/--backend_tls_key pair (which --bootstrap_dir creates
// first when they do not exist yet). Under --insecure the tunnel listener
// uses them too; otherwise it has the tunnel CA's own.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    const CloudConfig& config);

// A started gRPC server on `addr` serving `services`, its bound port in
// *port. UNAVAILABLE naming `flag` and the address when it cannot listen.
// `configure`, if set, adjusts the builder before it starts.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartListener(
    const std::string& flag, const std::string& addr,
    std::shared_ptr<grpc::ServerCredentials> creds, const std::vector<grpc::Service*>& services,
    int* port, const std::function<void(grpc::ServerBuilder&)>& configure = {});

// What the tunnel listener needs besides its service: frames up to the
// session's limit, and keepalive pings from connectors allowed (so that a
// dead peer is noticed) rather than answered with GOAWAY.
void ConfigureTunnelListener(grpc::ServerBuilder& builder, const SessionLimits& limits);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_SERVER_LISTENERS_H_
