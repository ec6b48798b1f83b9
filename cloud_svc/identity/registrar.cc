#include "cloud_svc/identity/registrar.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/log_escape.h"
#include "common/secrets.h"
#include "common/status_macros.h"
#include "common/x509.h"

namespace dirbridge::cloud {

absl::StatusOr<IssuedKey> Registrar::IssueKey(const std::string& tenant_id,
                                              const std::string& connector_id,
                                              absl::Duration ttl) {
  if (ttl < absl::ZeroDuration() || ttl > absl::Hours(24 * 30)) {
    return absl::InvalidArgumentError("ttl must be between 0 and 30 days");
  }
  if (ttl == absl::ZeroDuration()) ttl = default_ttl_;
  ASSIGN_OR_RETURN(std::string key, NewSecretToken());
  IssuedKey issued{std::move(key), absl::Now() + ttl};
  RETURN_IF_ERROR(store_->SetRegistrationKey(tenant_id, connector_id,
                                             Sha256Hex(issued.key),
                                             issued.expires_at));
  return issued;
}

absl::StatusOr<v1::RegisterResponse> Registrar::Redeem(
    const v1::RegisterRequest& request) {
  if (request.registration_key().empty() ||
      request.registration_key().size() > 256) {
    return absl::PermissionDeniedError(
        "registration key is not valid: it may be mistyped, used, expired or "
        "replaced by a newer one; ask the console for a new key");
  }
  v1::RegisterResponse out;
  std::string credential_hash;
  if (ca_ != nullptr) {
    // The connector is its key: the credential is the key's hash, so a
    // renewed certificate for the same key keeps working and a new
    // registration (a new key) shuts the old one out. The CSR is checked
    // in full before the key is spent: a bad CSR must not burn a key.
    if (request.csr_pem().empty()) {
      return absl::InvalidArgumentError(
          "this cloud issues client certificates: send a CSR (connector_svc register does)");
    }
    if (absl::Status st = x509::VerifyCsr(request.csr_pem()); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the CSR cannot be signed (", st.message(),
          "); the registration key was not used, fix the CSR and try again"));
    }
    absl::StatusOr<std::string> key = x509::CsrKeySha256(request.csr_pem());
    if (!key.ok()) return absl::InvalidArgumentError(key.status().message());
    credential_hash = *key;
  } else {
    ASSIGN_OR_RETURN(std::string credential, NewSecretToken());
    credential_hash = Sha256Hex(credential);
    out.set_credential(std::move(credential));
  }
  ASSIGN_OR_RETURN(ConnectorRecord c,
                   store_->RedeemRegistrationKey(Sha256Hex(request.registration_key()),
                                                 absl::Now(), credential_hash));
  if (ca_ != nullptr) {
    ASSIGN_OR_RETURN(std::string cert, ca_->SignConnector(request.csr_pem(), c.tenant_id,
                                                          c.connector_id, cert_validity_));
    out.set_certificate_pem(std::move(cert));
    out.set_ca_certificate_pem(ca_->ca_pem());
  }
  spdlog::info("event=connector_registered tenant={} connector={} hostname=\"{}\"",
               c.tenant_id, c.connector_id, LogSafe(request.hostname()));
  out.set_connector_id(c.connector_id);
  out.set_tenant_id(c.tenant_id);
  return out;
}

absl::StatusOr<std::string> Registrar::Renew(const ConnectorIdentity& who,
                                             const std::string& csr_pem) {
  if (ca_ == nullptr) return absl::FailedPreconditionError("this cloud issues no certificates");
  RETURN_IF_ERROR(x509::VerifyCsr(csr_pem));
  ASSIGN_OR_RETURN(std::string key, x509::CsrKeySha256(csr_pem));
  ASSIGN_OR_RETURN(ConnectorRecord c, store_->ConnectorByCredentialHash(key));
  if (c.connector_id != who.connector_id || c.tenant_id != who.tenant_id) {
    return absl::PermissionDeniedError("a renewal is for the connector's own registered key");
  }
  ASSIGN_OR_RETURN(std::string cert,
                   ca_->SignConnector(csr_pem, c.tenant_id, c.connector_id, cert_validity_));
  spdlog::info("event=certificate_renewed tenant={} connector={}", c.tenant_id, c.connector_id);
  return cert;
}

}  // namespace dirbridge::cloud
