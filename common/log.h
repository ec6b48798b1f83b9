#ifndef DIRBRIDGE_COMMON_LOG_H_
#define DIRBRIDGE_COMMON_LOG_H_

#include <spdlog/spdlog.h>

#include "absl/strings/string_view.h"

// Debian's Abseil has its own string_view (not std's): teach fmt to print it.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  auto format(absl::string_view s, fmt::format_context& ctx) const {
    return fmt::formatter<fmt::string_view>::format(
        fmt::string_view(s.data(), s.size()), ctx);
  }
};

namespace dirbridge {

// One line per event, `event=... key=value ...`, to stderr; with format
// "json", each line is a JSON object whose "msg" holds those pairs.
// Never pass a password, key or token to a log call.
void InitLogging(absl::string_view service, absl::string_view level,
                 absl::string_view format = "text");

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_LOG_H_
