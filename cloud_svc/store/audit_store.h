#ifndef DIRBRIDGE_CLOUD_SVC_STORE_AUDIT_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_AUDIT_STORE_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloud_svc/store/records.h"

namespace dirbridge::cloud {

// Each tenant's audit log: append-only, read newest first. Entries are
// never changed or removed through this interface. Implementations are
// thread-safe. Any method may also fail UNAVAILABLE (busy or unreachable:
// worth a retry) or INTERNAL.
class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // FAILED_PRECONDITION for an unknown tenant.
  virtual absl::Status AppendAudit(const AuditRecord& record) = 0;
  // The tenant's newest `limit` entries, newest first (ties: the later
  // appended first). INVALID_ARGUMENT when limit < 1.
  virtual absl::StatusOr<std::vector<AuditRecord>> ListAudit(absl::string_view tenant_id,
                                                             int limit) = 0;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_AUDIT_STORE_H_
