#include "cloud_svc/routing/call_target.h"

#include "absl/strings/cord.h"

namespace dirbridge::cloud {
namespace {

// A payload rather than a status code: to the backend it is a plain
// UNAVAILABLE, which is what it should see if no retry helps.
constexpr char kNotSentUrl[] = "type.dirbridge.internal/NotSent";

}  // namespace

absl::Status NotSentError(absl::string_view message) {
  absl::Status status = absl::UnavailableError(message);
  status.SetPayload(kNotSentUrl, absl::Cord("1"));
  return status;
}

bool IsNotSent(const absl::Status& status) {
  return absl::IsUnavailable(status) && status.GetPayload(kNotSentUrl).has_value();
}

}  // namespace dirbridge::cloud
