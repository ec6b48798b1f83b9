#include "cloud_svc/api/username.h"

#include "absl/strings/str_cat.h"

namespace dirbridge::cloud {

absl::Status CheckUsername(absl::string_view username) {
  if (username.empty()) return absl::InvalidArgumentError("username is required");
  if (username.size() > kMaxUsernameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("username is ", username.size(),
                                                   " bytes, more than the cloud's limit of ",
                                                   kMaxUsernameBytes, " (kMaxUsernameBytes)"));
  }
  return absl::OkStatus();
}

}  // namespace dirbridge::cloud
