#include "cloud_svc/identity/connector_identity.h"

#include <grpc/grpc_security_constants.h>

#include "cloud_svc/identity/tunnel_ca.h"
#include "common/secrets.h"
#include "common/x509.h"

namespace dirbridge::cloud {

std::string CredentialAuthenticator::Presented(const grpc::CallbackServerContext& context) const {
  const auto& md = context.client_metadata();
  auto it = md.find(kConnectorCredentialHeader);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::StatusOr<ConnectorIdentity> CredentialAuthenticator::Identify(absl::string_view presented) {
  if (presented.empty()) {
    return absl::UnauthenticatedError(
        "tunnel: no connector credential; run `connector_svc register` first");
  }
  absl::StatusOr<ConnectorRecord> c = store_->ConnectorByCredentialHash(Sha256Hex(presented));
  if (absl::IsNotFound(c.status())) {
    return absl::UnauthenticatedError(
        "tunnel: connector credential not accepted (unknown, replaced by a "
        "newer registration, or the connector was deleted)");
  }
  if (!c.ok()) return absl::UnavailableError(c.status().message());
  return ConnectorIdentity{c->tenant_id, c->connector_id};
}

std::string CertificateAuthenticator::Presented(const grpc::CallbackServerContext& context) const {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  std::vector<grpc::string_ref> pem =
      auth ? auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME)
           : std::vector<grpc::string_ref>{};
  if (pem.empty()) return "";
  return std::string(pem.front().data(), pem.front().size());
}

absl::StatusOr<ConnectorIdentity> CertificateAuthenticator::Identify(absl::string_view presented) {
  if (presented.empty()) {
    return absl::UnauthenticatedError(
        "tunnel: no client certificate; run `connector_svc register` first");
  }
  std::string cert(presented);
  absl::StatusOr<std::string> key = x509::CertKeySha256(cert);
  absl::StatusOr<x509::CertInfo> info = x509::Inspect(cert);
  if (!key.ok() || !info.ok()) return absl::UnauthenticatedError("tunnel: unreadable certificate");
  absl::StatusOr<ConnectorRecord> c = store_->ConnectorByCredentialHash(*key);
  if (absl::IsNotFound(c.status())) {
    return absl::UnauthenticatedError(
        "tunnel: certificate not accepted (the connector was deleted or registered again)");
  }
  if (!c.ok()) return absl::UnavailableError(c.status().message());
  std::string uri = ConnectorUri(c->tenant_id, c->connector_id);
  if (info->uri_sans.size() != 1 || info->uri_sans.front() != uri) {
    return absl::UnauthenticatedError("tunnel: the certificate names another connector");
  }
  return ConnectorIdentity{c->tenant_id, c->connector_id};
}

}  // namespace dirbridge::cloud
