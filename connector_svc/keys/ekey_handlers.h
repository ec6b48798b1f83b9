#ifndef DIRBRIDGE_CONNECTOR_SVC_KEYS_EKEY_HANDLERS_H_
#define DIRBRIDGE_CONNECTOR_SVC_KEYS_EKEY_HANDLERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "connector_svc/call.h"
#include "connector_svc/keys/key_store.h"
#include "dirbridge/v1/tunnel.pb.h"

namespace dirbridge::connector {

// The connector's half of Keys.ProvisionEkey and Keys.GetEkeys: it makes
// ekeys and wraps them under its KEK, and unwraps them only to seal them to
// the caller's one-time key, so the cloud never holds an ekey in clear.
// Serves one tenant: a request naming another is PERMISSION_DENIED. With no
// KeyStore every request is FAILED_PRECONDITION. Thread-safe as the
// KeyStore is.
class EkeyHandlers {
 public:
  EkeyHandlers(KeyStore* keys, std::string tenant_id)
      : keys_(keys), tenant_id_(std::move(tenant_id)) {}

  // A fresh random ekey, wrapped under the current KEK.
  absl::StatusOr<v1::WrapNewEkeyResponse> WrapNewEkey(const v1::WrapNewEkeyRequest& request);

  // Every ekey of the batch unwrapped and sealed to recipient_public_key,
  // or an error for the whole batch; CANCELLED once `call` is cancelled.
  absl::StatusOr<v1::GetEkeysResponse> SealEkeys(const v1::SealEkeysRequest& request,
                                                 const Call& call);

 private:
  // OK when this connector can serve an ekey request for `tenant_id`.
  absl::Status CheckServes(const std::string& tenant_id) const;

  KeyStore* const keys_;  // may be null
  const std::string tenant_id_;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_KEYS_EKEY_HANDLERS_H_
