#ifndef DIRBRIDGE_CLOUD_SVC_STORE_TENANT_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_TENANT_STORE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloud_svc/store/records.h"

namespace dirbridge::cloud {

// Tenants and the backend token each one authenticates with. The token
// arrives hashed (Sha256Hex); the store never sees it in clear.
// Implementations are thread-safe. Any method may also fail UNAVAILABLE (the
// store is busy or unreachable: worth a retry) or INTERNAL.
class TenantStore {
 public:
  virtual ~TenantStore() = default;

  // ALREADY_EXISTS when the tenant id or the token hash is taken: a token
  // names exactly one tenant.
  virtual absl::Status CreateTenant(const TenantRecord& tenant,
                                    absl::string_view token_hash) = 0;
  // NOT_FOUND for an unknown hash.
  virtual absl::StatusOr<TenantRecord> TenantByTokenHash(absl::string_view token_hash) = 0;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_TENANT_STORE_H_
