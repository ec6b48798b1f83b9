#ifndef DIRBRIDGE_CLOUD_SVC_REGISTRAR_H_
#define DIRBRIDGE_CLOUD_SVC_REGISTRAR_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloud_svc/store/store.h"
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
  Registrar(Store* store, absl::Duration default_ttl)
      : store_(store), default_ttl_(default_ttl) {}

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
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_REGISTRAR_H_
