#include "cloud_svc/server/listeners.h"

#include <string>
#include <utility>

#include <grpcpp/server.h>

#include "absl/strings/str_cat.h"
#include "cloud_svc/identity/bootstrap.h"
#include "cloud_svc/server/startup_files.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    const CloudConfig& config) {
  if (config.insecure) return grpc::InsecureServerCredentials();
  // CloudConfig::Validate() refuses this too; checked again because a
  // config that skipped it must not end in a listener without TLS.
  if (config.backend_tls_cert.empty() || config.backend_tls_key.empty()) {
    return absl::FailedPreconditionError(
        "--backend_tls_cert and --backend_tls_key are required unless --insecure");
  }
  if (!config.bootstrap_dir.empty()) {
    RETURN_IF_ERROR(BootstrapBackendTls(config.bootstrap_dir, config.backend_tls_cert,
                                        config.backend_tls_key, config.tunnel_hostnames));
  }
  ASSIGN_OR_RETURN(std::string cert, ReadFile(config.backend_tls_cert));
  ASSIGN_OR_RETURN(std::string key, ReadFile(config.backend_tls_key));
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartListener(
    const std::string& flag, const std::string& addr,
    std::shared_ptr<grpc::ServerCredentials> creds, const std::vector<grpc::Service*>& services,
    int* port, const std::function<void(grpc::ServerBuilder&)>& configure) {
  *port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(addr, std::move(creds), port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  if (configure) configure(builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  // BuildAndStart can succeed with no port bound: then *port stays 0.
  if (!server || *port == 0) {
    if (server) server->Shutdown();
    return absl::UnavailableError(absl::StrCat("cannot listen on --", flag, " ", addr));
  }
  return server;
}

void ConfigureTunnelListener(grpc::ServerBuilder& builder, const SessionLimits& limits) {
  builder.SetMaxReceiveMessageSize(static_cast<int>(limits.max_frame_bytes));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
}

}  // namespace dirbridge::cloud
