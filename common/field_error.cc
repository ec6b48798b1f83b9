#include "common/field_error.h"


#include "absl/strings/cord.h"

namespace dirbridge {
namespace {

// An absl::Status payload, never sent anywhere as such.
constexpr char kFieldPayload[] = "dirbridge.field";

}  // namespace

absl::Status FieldError(absl::string_view field, absl::string_view message) {
  absl::Status st = absl::InvalidArgumentError(message);
  st.SetPayload(kFieldPayload, absl::Cord(field));
  return st;
}

std::string ErrorField(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return "";
  auto field = status.GetPayload(kFieldPayload);
  return field ? std::string(*field) : std::string();
}

}  // namespace dirbridge
