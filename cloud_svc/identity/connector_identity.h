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
  // What the stream presents (a credential, a client certificate), copied
  // on the reaction's thread: Identify runs elsewhere and may outlive the
  // context. Empty when it presents nothing.
  virtual std::string Presented(const grpc::CallbackServerContext& context) const = 0;
  // Whose it is. Asks the store: never on a reaction's thread.
  // UNAUTHENTICATED when it is no valid credential (nothing presented, an
  // unknown, replaced or deleted connector's); UNAVAILABLE when the store
  // cannot say.
  virtual absl::StatusOr<ConnectorIdentity> Identify(absl::string_view presented) = 0;
};

// Checks the credential issued at registration against its stored hash.
class CredentialAuthenticator : public ConnectorAuthenticator {
 public:
  explicit CredentialAuthenticator(Store* store) : store_(store) {}
  std::string Presented(const grpc::CallbackServerContext& context) const override;
  absl::StatusOr<ConnectorIdentity> Identify(absl::string_view presented) override;

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
  std::string Presented(const grpc::CallbackServerContext& context) const override;
  absl::StatusOr<ConnectorIdentity> Identify(absl::string_view presented) override;

 private:
  Store* store_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_IDENTITY_CONNECTOR_IDENTITY_H_
