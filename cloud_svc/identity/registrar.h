#ifndef DIRBRIDGE_CLOUD_SVC_IDENTITY_REGISTRAR_H_
#define DIRBRIDGE_CLOUD_SVC_IDENTITY_REGISTRAR_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloud_svc/identity/connector_identity.h"
#include "cloud_svc/store/store.h"
#include "cloud_svc/identity/tunnel_ca.h"
#include "dirbridge/v1/tunnel.pb.h"

namespace dirbridge::cloud {

struct IssuedKey {
  std::string key;  // shown once
  absl::Time expires_at;
};

// Registration keys: 256 random bits, stored as SHA-256, single-use, expiring;
// a new key replaces the previous one. Thread-safe.
class Registrar {
 public:
  // With `ca`, connectors register with a CSR and get a client certificate
  // valid for `cert_validity`; without (plaintext listeners), a secret
  // credential.
  Registrar(Store* store, absl::Duration default_ttl, const TunnelCa* ca = nullptr,
            absl::Duration cert_validity = absl::Hours(24 * 90))
      : store_(store), default_ttl_(default_ttl), ca_(ca), cert_validity_(cert_validity) {}

  // The CA's SHA-256 for GetRegistrationKey; empty without TLS.
  std::string ca_sha256() const { return ca_ ? ca_->ca_sha256() : ""; }
  // A new certificate for a connector's registered key.
  absl::StatusOr<std::string> Renew(const ConnectorIdentity& who, const std::string& csr_pem);

  // ttl zero: the default. NOT_FOUND for another tenant's connector.
  absl::StatusOr<IssuedKey> IssueKey(const std::string& tenant_id,
                                     const std::string& connector_id,
                                     absl::Duration ttl);
  // Trades a key for the connector's credential. Every refusal reads the
  // same, so that an answer never tells whether a connector exists.
  absl::StatusOr<v1::RegisterResponse> Redeem(const v1::RegisterRequest& request);

 private:
  Store* const store_;
  const absl::Duration default_ttl_;
  const TunnelCa* const ca_;
  const absl::Duration cert_validity_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_IDENTITY_REGISTRAR_H_
