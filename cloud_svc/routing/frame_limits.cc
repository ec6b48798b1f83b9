#include "cloud_svc/routing/frame_limits.h"

#include "absl/strings/str_cat.h"

namespace dirbridge::cloud {

absl::Status CheckFrameLimits(const v1::ConnectorFrame& frame, const SessionLimits& limits) {
  auto too_long = [](absl::string_view what, size_t size, size_t limit) {
    return absl::InvalidArgumentError(absl::StrCat("tunnel: ", what, " is ", size,
                                                   " bytes; the limit is ", limit));
  };
  switch (frame.frame_case()) {
    case v1::ConnectorFrame::kHello: {
      const v1::Hello& h = frame.hello();
      if (h.hostname().size() > limits.max_hostname_bytes) {
        return too_long("Hello.hostname", h.hostname().size(), limits.max_hostname_bytes);
      }
      if (h.version().size() > limits.max_version_bytes) {
        return too_long("Hello.version", h.version().size(), limits.max_version_bytes);
      }
      if (static_cast<size_t>(h.capabilities_size()) > limits.max_capabilities) {
        return absl::InvalidArgumentError(
            absl::StrCat("tunnel: Hello lists ", h.capabilities_size(),
                         " capabilities; the limit is ", limits.max_capabilities));
      }
      for (const std::string& c : h.capabilities()) {
        if (c.size() > limits.max_capability_bytes) {
          return too_long("a Hello capability", c.size(), limits.max_capability_bytes);
        }
      }
      if (!h.password_public_key().empty() && h.password_public_key().size() != 32) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tunnel: Hello.password_public_key must be a raw 32-byte X25519 key, not ",
            h.password_public_key().size(), " bytes"));
      }
      return absl::OkStatus();
    }
    case v1::ConnectorFrame::kResult:
      if (frame.result().message().size() > limits.max_message_bytes) {
        return too_long("CallResult.message", frame.result().message().size(),
                        limits.max_message_bytes);
      }
      return absl::OkStatus();
    case v1::ConnectorFrame::kGoaway:
      if (frame.goaway().reason().size() > limits.max_message_bytes) {
        return too_long("Goaway.reason", frame.goaway().reason().size(),
                        limits.max_message_bytes);
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

}  // namespace dirbridge::cloud
