#ifndef DIRBRIDGE_COMMON_LOG_ESCAPE_H_
#define DIRBRIDGE_COMMON_LOG_ESCAPE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace dirbridge {

// A peer's string made safe for a log line: control characters, quotes,
// backslashes and bytes outside printable ASCII are escaped (\n, \", \xNN),
// so a peer can neither forge a line nor break a key="value" pair, and
// anything past `max_bytes` is cut and counted ("...(+N bytes)"), so one
// peer cannot grow the log by sending long strings.
std::string LogSafe(absl::string_view peer_text, size_t max_bytes = 200);

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_LOG_ESCAPE_H_
