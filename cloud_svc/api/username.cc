#include "cloud_svc/api/username.h"

#include "absl/strings/str_cat.h"
#include "common/field_error.h"

namespace dirbridge::cloud {

absl::Status CheckUsername(absl::string_view username) {
  if (username.empty()) return FieldError("username", "username is required");
  if (username.size() > kMaxUsernameBytes) {
    return FieldError("username", absl::StrCat("username is ", username.size(),
                                                   " bytes, more than the cloud's limit of ",
                                                   kMaxUsernameBytes, " (kMaxUsernameBytes)"));
  }
  return absl::OkStatus();
}

}  // namespace dirbridge::cloud
