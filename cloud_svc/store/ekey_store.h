#ifndef DIRBRIDGE_CLOUD_SVC_STORE_EKEY_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_EKEY_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloud_svc/store/records.h"

namespace dirbridge::cloud {

// Users' ekeys, only ever wrapped under a connector's KEK. A user has at
// most one current ekey; replaced ones are kept for the data they still
// protect. A user id names a user within its tenant: another tenant's user
// of the same id is another user. Implementations are thread-safe. Any
// method may also fail UNAVAILABLE (busy or unreachable: worth a retry) or
// INTERNAL.
class EkeyStore {
 public:
  virtual ~EkeyStore() = default;

  // The user's current ekey. NOT_FOUND when it has none.
  virtual absl::StatusOr<EkeyRecord> CurrentEkey(absl::string_view tenant_id,
                                                 absl::string_view user_id) = 0;
  // Stores an ekey as the user's current one and returns the current one.
  // Without `replace`, a user who already has one keeps it and that one is
  // returned (any number of provisions racing end with one ekey); with it,
  // the new one becomes current and the old one is kept. ALREADY_EXISTS
  // when the key id is taken; FAILED_PRECONDITION for an unknown tenant.
  virtual absl::StatusOr<EkeyRecord> PutEkey(const EkeyRecord& ekey, bool replace) = 0;
  // The current ekeys of these users, each once, in no particular order;
  // users without one are left out.
  virtual absl::StatusOr<std::vector<EkeyRecord>> CurrentEkeys(
      absl::string_view tenant_id, const std::vector<std::string>& user_ids) = 0;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_EKEY_STORE_H_
