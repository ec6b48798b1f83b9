#ifndef DIRBRIDGE_CLOUD_SVC_STORE_USER_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_USER_STORE_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cloud_svc/store/records.h"

namespace dirbridge::cloud {

// Imported users and the runs that import them. A user belongs to one
// tenant and one mapping and is keyed by its directory id within the tenant:
// a renamed or moved user is updated, never duplicated. A run is named by a
// run id; each user remembers the last run that saw it. Methods that take a
// MappingRecord use its tenant_id and mapping_id (and, for UpsertUsers, its
// priority) and see only that tenant's users. Implementations are
// thread-safe. Any method may also fail UNAVAILABLE (busy or unreachable:
// worth a retry) or INTERNAL.
class UserStore {
 public:
  virtual ~UserStore() = default;

  // One chunk of an import, in one transaction (a crash leaves whole
  // chunks). An unknown directory id is added: a fresh user_id, this
  // mapping, ACTIVE, its imported_at. A known one owned by an older mapping
  // (a lower priority than `mapping.priority`) stays that mapping's and is
  // counted unchanged, and this run does not see it. Any other known one
  // moves to this mapping and takes the directory fields given (dn,
  // username, user_principal_name, email, display_name, groups, disabled):
  // updated (and imported_at given) when one of them or its mapping
  // changed, else unchanged; its state is ApplyRun's business. Each user
  // this mapping keeps or takes is seen by `run_id`. INVALID_ARGUMENT, with
  // nothing written, when a user's tenant_id is not the mapping's.
  virtual absl::StatusOr<UpsertCounts> UpsertUsers(const MappingRecord& mapping,
                                                   absl::string_view run_id,
                                                   const std::vector<UserRecord>& users) = 0;
  // Users of the mapping, ACTIVE, that `run_id` did not see.
  virtual absl::StatusOr<uint64_t> CountUnseen(const MappingRecord& mapping,
                                               absl::string_view run_id) = 0;
  // Users of the mapping that are ACTIVE.
  virtual absl::StatusOr<uint64_t> CountActive(const MappingRecord& mapping) = 0;
  // Completes a run in one transaction: ACTIVE users of the mapping it did
  // not see become NOT_IN_DIRECTORY, NOT_IN_DIRECTORY users it saw come
  // back; both get imported_at = now. Returns {marked, reactivated}.
  virtual absl::StatusOr<std::pair<uint64_t, uint64_t>> ApplyRun(const MappingRecord& mapping,
                                                                 absl::string_view run_id,
                                                                 absl::Time now) = 0;
  // Up to `limit` users of the tenant's mapping, ordered by user_id, after
  // `after_user_id` (empty: from the start). Empty for an unknown or another
  // tenant's mapping. INVALID_ARGUMENT when limit < 1.
  virtual absl::StatusOr<std::vector<UserRecord>> ListUsers(absl::string_view tenant_id,
                                                            absl::string_view mapping_id,
                                                            absl::string_view after_user_id,
                                                            int limit) = 0;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_USER_STORE_H_
