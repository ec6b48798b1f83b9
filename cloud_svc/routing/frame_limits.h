#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_FRAME_LIMITS_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_FRAME_LIMITS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "dirbridge/v1/tunnel.pb.h"

namespace dirbridge::cloud {

struct SessionLimits {
  absl::Duration heartbeat_interval = absl::Seconds(10);
  int missed_heartbeats = 3;
  uint32_t max_concurrent_calls = 1024;
  // Chunks a streamed call may have on the way before the cloud has taken
  // one (--stream_credits). Two keep a stream moving (one being consumed,
  // one on the wire) with the least memory: with four, an import's peak
  // grew with the directory's size as queued chunks piled up.
  uint32_t initial_stream_credits = 2;
  uint32_t max_frame_bytes = 16 << 20;

  // What a connector controls (shared/STYLE.md 18): a frame past one of
  // these ends its session with a status naming the limit. A connector is
  // a customer's machine; the coordinator is everyone's.
  size_t max_hostname_bytes = 255;      // a DNS name's own limit
  size_t max_version_bytes = 128;
  size_t max_capabilities = 64;
  size_t max_capability_bytes = 128;
  size_t max_message_bytes = 4096;      // CallResult.message, Goaway.reason
  // Frames waiting to be written to a connector that does not read: past
  // this, new calls are refused and the next heartbeat ends the session.
  size_t max_outbox_frames = 4096;
};

// OK, or the limit `frame` breaks, named with the field, its size and the
// limit (a frame from a connector is untrusted input: shared/STYLE.md 18).
absl::Status CheckFrameLimits(const v1::ConnectorFrame& frame, const SessionLimits& limits);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_FRAME_LIMITS_H_
