#ifndef DIRBRIDGE_CONNECTOR_SVC_CLOUD_CHANNEL_H_
#define DIRBRIDGE_CONNECTOR_SVC_CLOUD_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace dirbridge::connector {

// The connector's files for mutual TLS, in its state dir.
std::string ClientKeyPath(const std::string& state_dir);
std::string ClientCertPath(const std::string& state_dir);
std::string CloudCaPath(const std::string& state_dir);

// How this connector reaches the cloud. Built afresh for every connection,
// so that a renewed certificate is used from the next connection on.
struct CloudTls {
  bool insecure = false;
  std::string state_dir;
  // A CA the operator gave (config cloud.ca_file); empty: the tunnel CA
  // pinned at registration, checked against the name every tunnel server
  // certificate carries.
  std::string ca_file;
};

struct ChannelSetup {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  grpc::ChannelArguments args;
};

// Credentials with the client certificate when the state dir has one (and
// without, for registering).
absl::StatusOr<ChannelSetup> MakeChannelSetup(const CloudTls& tls);

// Renews the client certificate over RenewCertificate once two thirds of
// its life have passed. OK and nothing done when not due (or plaintext).
absl::Status RenewCertificateIfDue(const std::string& address, const CloudTls& tls);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_CLOUD_CHANNEL_H_
