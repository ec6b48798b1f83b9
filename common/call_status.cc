#include "common/call_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/field_error.h"

namespace dirbridge {
namespace {

// Longer than any field path of dirbridge.v1.
constexpr size_t kMaxFieldName = 128;

}  // namespace

void SetCallStatus(const absl::Status& status, v1::CallResult* result) {
  if (!status.ok()) result->clear_response();
  result->set_code(static_cast<int32_t>(status.code()));
  result->set_message(std::string(status.message()));
  result->set_field(ErrorField(status));
}

absl::Status CallResultStatus(const v1::CallResult& result) {
  const int32_t code = result.code();
  if (code < static_cast<int32_t>(absl::StatusCode::kOk) ||
      code > static_cast<int32_t>(absl::StatusCode::kUnauthenticated)) {
    std::string message = absl::StrCat("the connector sent an invalid result code ", code);
    if (!result.message().empty()) absl::StrAppend(&message, ": ", result.message());
    return absl::UnknownError(message);
  }
  // The field is the connector's word too: bounded like the message.
  if (code == static_cast<int32_t>(absl::StatusCode::kInvalidArgument) &&
      !result.field().empty() && result.field().size() <= kMaxFieldName) {
    return FieldError(result.field(), result.message());
  }
  return absl::Status(static_cast<absl::StatusCode>(code), result.message());
}

}  // namespace dirbridge
