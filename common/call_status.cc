#include "common/call_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace dirbridge {

void SetCallStatus(const absl::Status& status, v1::CallResult* result) {
  if (!status.ok()) result->clear_response();
  result->set_code(static_cast<int32_t>(status.code()));
  result->set_message(std::string(status.message()));
}

absl::Status CallResultStatus(const v1::CallResult& result) {
  const int32_t code = result.code();
  if (code < static_cast<int32_t>(absl::StatusCode::kOk) ||
      code > static_cast<int32_t>(absl::StatusCode::kUnauthenticated)) {
    std::string message = absl::StrCat("the connector sent an invalid result code ", code);
    if (!result.message().empty()) absl::StrAppend(&message, ": ", result.message());
    return absl::UnknownError(message);
  }
  return absl::Status(static_cast<absl::StatusCode>(code), result.message());
}

}  // namespace dirbridge
