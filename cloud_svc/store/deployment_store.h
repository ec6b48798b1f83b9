#ifndef DIRBRIDGE_CLOUD_SVC_STORE_DEPLOYMENT_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_DEPLOYMENT_STORE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cloud_svc/store/records.h"

namespace dirbridge::cloud {

// Deployment tokens (stored by hash, never in clear) and the devices
// activated with them. The store does not judge expiry: a token is returned
// until it is gone, and older tokens stay beside newer ones; callers compare
// expires_at. Implementations are thread-safe. Any method may also fail
// UNAVAILABLE (busy or unreachable: worth a retry) or INTERNAL.
class DeploymentStore {
 public:
  virtual ~DeploymentStore() = default;

  // ALREADY_EXISTS when the hash is taken; FAILED_PRECONDITION for an
  // unknown tenant.
  virtual absl::Status CreateDeploymentToken(absl::string_view token_hash,
                                             const DeploymentToken& token) = 0;
  // NOT_FOUND for an unknown hash.
  virtual absl::StatusOr<DeploymentToken> GetDeploymentToken(absl::string_view token_hash) = 0;
  // Finds the user by directory id in the mapping's tenant (whichever
  // mapping owns it) or creates it in this mapping, ACTIVE, imported at
  // `now` -- once, however many activations race -- and records a new
  // device for it. INVALID_ARGUMENT when the user's tenant_id is not the
  // mapping's.
  virtual absl::StatusOr<Activation> Activate(const MappingRecord& mapping, const UserRecord& user,
                                              absl::string_view device_name, absl::Time now) = 0;
  // The tenant's deployment tokens that have not expired at `now`
  // (expires_at > now): what a quota counts, so expired ones free room.
  virtual absl::StatusOr<uint64_t> CountLiveDeploymentTokens(absl::string_view tenant_id,
                                                             absl::Time now) = 0;
  // Devices ever activated in the tenant; 0 for an unknown tenant.
  virtual absl::StatusOr<uint64_t> CountDevices(absl::string_view tenant_id) = 0;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_DEPLOYMENT_STORE_H_
