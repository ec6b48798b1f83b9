#ifndef DIRBRIDGE_CLOUD_SVC_STORE_ALERT_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_ALERT_STORE_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cloud_svc/store/records.h"

namespace dirbridge::cloud {

// A tenant's alerts. An alert stands from raised_at until cleared; at most
// one of a kind stands for the same connector and mapping, so a repeating
// fault does not pile them up. Every method sees only the tenant's alerts.
// Implementations are thread-safe. Any method may also fail UNAVAILABLE
// (busy or unreachable: worth a retry) or INTERNAL.
class AlertStore {
 public:
  virtual ~AlertStore() = default;

  // Raises an alert unless one of the same kind for the same connector_id
  // and mapping_id of the tenant stands (then OK, and nothing changes).
  // ALREADY_EXISTS when a new alert's id is taken; FAILED_PRECONDITION for
  // an unknown tenant.
  virtual absl::Status RaiseAlert(const AlertRecord& alert) = 0;
  // Clears every standing alert of that kind for that connector / mapping of
  // the tenant. OK when none stands.
  virtual absl::Status ClearAlerts(absl::string_view tenant_id, AlertKind kind,
                                   absl::string_view connector_id, absl::string_view mapping_id,
                                   absl::Time cleared_at) = 0;
  // Newest raised first (ties: the later raised first); standing ones only
  // with `active_only`.
  virtual absl::StatusOr<std::vector<AlertRecord>> ListAlerts(absl::string_view tenant_id,
                                                              bool active_only) = 0;
  // One page of them, for callers that must not hold them all: at most
  // `limit` (INVALID_ARGUMENT below 1), newest raised first, ties by
  // alert_id descending, after `after` (the last alert of the previous
  // page; null for the first).
  virtual absl::StatusOr<std::vector<AlertRecord>> ListAlertsPage(absl::string_view tenant_id,
                                                                  bool active_only,
                                                                  const AlertRecord* after,
                                                                  int limit) = 0;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_ALERT_STORE_H_
