#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_CALL_TARGET_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_CALL_TARGET_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dirbridge/v1/tunnel.pb.h"

namespace dirbridge::cloud {

// How the cloud learns what became of a call it sent down a tunnel.
struct CallHandlers {
  // Each streamed chunk, in order. Optional; the receiver grants more credit
  // through GrantCredit once it has consumed a chunk.
  std::function<void(v1::ResultChunk&&)> on_chunk;
  // Exactly once: the connector's result, or why there is none (UNAVAILABLE
  // when the stream ends first, CANCELLED after CancelCall).
  std::function<void(absl::StatusOr<v1::CallResult>)> on_done;
};

// Somewhere a call for one connector can go: the connector's tunnel stream
// on this replica (Session), or the replica that holds it (RemoteSession,
// one peer hop away). The router picks among them by load alone.
// Thread-safe.
class CallTarget {
 public:
  virtual ~CallTarget() = default;

  // UNAVAILABLE when the target takes no calls now, RESOURCE_EXHAUSTED when
  // it carries its maximum; otherwise on_done follows exactly once.
  virtual absl::StatusOr<uint64_t> StartCall(v1::CallRequest request,
                                             CallHandlers handlers) = 0;
  // The caller gave up: on_done sees CANCELLED (`why`) unless it was done.
  virtual void CancelCall(uint64_t call_id, const absl::Status& why) = 0;
  virtual void GrantCredit(uint64_t call_id, uint32_t n) = 0;

  // Calls this replica has in flight on it.
  virtual int InFlight() const = 0;
  virtual bool TakingCalls() const = 0;
  virtual const std::string& target_connector_id() const = 0;
  // Where it is held: "" for this replica.
  virtual const std::string& replica_id() const = 0;
};

// The status a target answers with when a call never left this replica
// (the peer could not be reached): safe to send elsewhere even when the
// call is not idempotent.
absl::Status NotSentError(absl::string_view message);
bool IsNotSent(const absl::Status& status);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_CALL_TARGET_H_
