#ifndef DIRBRIDGE_CLOUD_SVC_IDENTITY_CONNECTOR_IDENTITY_H_
#define DIRBRIDGE_CLOUD_SVC_IDENTITY_CONNECTOR_IDENTITY_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "cloud_svc/store/store.h"
#include "common/tunnel_metadata.h"

namespace dirbridge::cloud {

struct ConnectorIdentity {
  std::string tenant_id;
  std::string connector_id;
};

// Who is at the other end of a Connect stream. The tenant comes from the
// connector's credential alone, never from anything the connector says.
// Implementations are thread-safe.
class ConnectorAuthenticator {
 public:
  virtual ~ConnectorAuthenticator() = default;
  // UNAUTHENTICATED when the stream carries no valid credential.
  virtual absl::StatusOr<ConnectorIdentity> Identify(
      const grpc::CallbackServerContext& context) = 0;
};

// Checks the credential issued at registration against its stored hash.
class CredentialAuthenticator : public ConnectorAuthenticator {
 public:
  explicit CredentialAuthenticator(Store* store) : store_(store) {}
  absl::StatusOr<ConnectorIdentity> Identify(
      const grpc::CallbackServerContext& context) override;

 private:
  Store* store_;
};

// Mutual TLS: the connector is the one its client certificate names. The
// certificate was verified against the tunnel CA in the handshake; its key
// must still be the connector's registered key (a re-registered or deleted
// connector's old certificates stop working at once).
class CertificateAuthenticator : public ConnectorAuthenticator {
 public:
  explicit CertificateAuthenticator(Store* store) : store_(store) {}
  absl::StatusOr<ConnectorIdentity> Identify(
      const grpc::CallbackServerContext& context) override;

 private:
  Store* store_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_IDENTITY_CONNECTOR_IDENTITY_H_
