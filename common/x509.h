#ifndef DIRBRIDGE_COMMON_X509_H_
#define DIRBRIDGE_COMMON_X509_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dirbridge::x509 {

// The small part of X.509 dirbridge needs: an EC P-256 tunnel CA, its
// server certificate, connector CSRs and the client certificates signed
// from them. PEM in and out.

struct KeyAndCert {
  std::string key_pem;   // secret
  std::string cert_pem;
};

// A self-signed CA certificate with a fresh P-256 key.
absl::StatusOr<KeyAndCert> NewCa(const std::string& common_name, absl::Duration validity);
// A server certificate for `dns_names` / IP addresses, signed by the CA.
absl::StatusOr<KeyAndCert> NewServerCert(const KeyAndCert& ca, const std::string& common_name,
                                         const std::vector<std::string>& names,
                                         absl::Duration validity);

// A fresh P-256 key (PEM) and a CSR for it.
absl::StatusOr<KeyAndCert> NewKeyAndCsr(const std::string& common_name);
// A CSR for an existing key.
absl::StatusOr<std::string> CsrForKey(const std::string& key_pem, const std::string& common_name);

// Signs a client certificate from a CSR (its signature checked): subject CN
// = `common_name`, one URI SAN, client-auth only.
absl::StatusOr<std::string> SignClientCert(const KeyAndCert& ca, const std::string& csr_pem,
                                           const std::string& common_name,
                                           const std::string& uri_san, absl::Duration validity);

struct CertInfo {
  std::string common_name;
  std::vector<std::string> uri_sans;
  absl::Time not_before;
  absl::Time not_after;
  std::string sha256_hex;  // of the DER
};
absl::StatusOr<CertInfo> Inspect(const std::string& cert_pem);

// Longest CSR accepted, in bytes: a P-256 CSR is under 1 KiB in PEM.
inline constexpr size_t kMaxCsrBytes = 16384;

// OK when `csr_pem` is a PEM CSR of at most kMaxCsrBytes whose signature
// verifies with its own key, and that key is EC P-256 (what the CA signs);
// INVALID_ARGUMENT saying which it is not. What SignClientCert checks,
// asked first, so that a caller can refuse before it spends anything.
absl::Status VerifyCsr(const std::string& csr_pem);

// SHA-256 (hex) of the public key (SubjectPublicKeyInfo DER) in a CSR or a
// certificate: what identifies a connector across certificate renewals.
absl::StatusOr<std::string> CsrKeySha256(const std::string& csr_pem);
absl::StatusOr<std::string> CertKeySha256(const std::string& cert_pem);

// SHA-256 (hex) of a DER certificate, e.g. one a TLS peer sent.
std::string DerSha256Hex(const std::string& der);
absl::StatusOr<std::string> DerToPem(const std::string& der);

}  // namespace dirbridge::x509

#endif  // DIRBRIDGE_COMMON_X509_H_
