#include "common/log_escape.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dirbridge {

std::string LogSafe(absl::string_view peer_text, size_t max_bytes) {
  absl::string_view kept = peer_text.substr(0, max_bytes);
  std::string out;
  out.reserve(kept.size() + 16);
  for (unsigned char c : kept) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          absl::StrAppendFormat(&out, "\\x%02x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  if (peer_text.size() > kept.size()) {
    absl::StrAppend(&out, "...(+", peer_text.size() - kept.size(), " bytes)");
  }
  return out;
}

}  // namespace dirbridge
