#include "cloud_svc/connector_identity.h"

#include "common/secrets.h"

namespace dirbridge::cloud {

absl::StatusOr<ConnectorIdentity> CredentialAuthenticator::Identify(
    const grpc::CallbackServerContext& context) {
  const auto& md = context.client_metadata();
  auto it = md.find(kConnectorCredentialHeader);
  if (it == md.end()) {
    return absl::UnauthenticatedError(
        "tunnel: no connector credential; run `connector_svc register` first");
  }
  absl::StatusOr<ConnectorRecord> c = store_->ConnectorByCredentialHash(
      Sha256Hex(absl::string_view(it->second.data(), it->second.size())));
  if (absl::IsNotFound(c.status())) {
    return absl::UnauthenticatedError(
        "tunnel: connector credential not accepted (unknown, replaced by a "
        "newer registration, or the connector was deleted)");
  }
  if (!c.ok()) return absl::UnavailableError(c.status().message());
  return ConnectorIdentity{c->tenant_id, c->connector_id};
}

}  // namespace dirbridge::cloud
