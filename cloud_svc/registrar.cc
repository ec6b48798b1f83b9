#include "cloud_svc/registrar.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/secrets.h"
#include "common/status_macros.h"

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
  ASSIGN_OR_RETURN(std::string credential, NewSecretToken());
  ASSIGN_OR_RETURN(ConnectorRecord c,
                   store_->RedeemRegistrationKey(
                       Sha256Hex(request.registration_key()), absl::Now(),
                       Sha256Hex(credential)));
  spdlog::info("event=connector_registered tenant={} connector={} hostname=\"{}\"",
               c.tenant_id, c.connector_id, request.hostname());
  v1::RegisterResponse out;
  out.set_connector_id(c.connector_id);
  out.set_tenant_id(c.tenant_id);
  out.set_credential(std::move(credential));
  return out;
}

}  // namespace dirbridge::cloud
