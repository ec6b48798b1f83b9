#include "cloud_svc/api/quotas.h"

#include "absl/strings/str_cat.h"

namespace dirbridge::cloud {

absl::Status CheckQuota(const absl::StatusOr<uint64_t>& count, uint64_t limit,
                        absl::string_view what, absl::string_view flag) {
  if (!count.ok()) return count.status();
  if (*count < limit) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "tenant quota reached: at most ", limit, " ", what, " per tenant (", flag,
      "); delete some first, or ask the operator to raise ", flag));
}

}  // namespace dirbridge::cloud
