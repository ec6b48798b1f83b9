#ifndef DIRBRIDGE_CONNECTOR_SVC_CALL_H_
#define DIRBRIDGE_CONNECTOR_SVC_CALL_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "connector_svc/ldap/directory.h"

namespace dirbridge::connector {

// The frame limit when the cloud's Settings name none: cloud_svc's default
// (SessionLimits::max_frame_bytes).
inline constexpr uint32_t kDefaultMaxFrameBytes = 16 << 20;
// No answer or chunk weighs more than this, whatever the frame limit:
// gRPC's default receive limit, which the backend's client most likely
// keeps, so an answer it could not read is refused here with a reason.
inline constexpr size_t kMaxAnswerBytes = 4 << 20;
// What a frame adds around an answer (call id, code, field tags), with room.
inline constexpr size_t kFrameEnvelopeBytes = 64;

// One call from the cloud, while its handler runs. Cancel frames, the
// deadline and the end of the tunnel all reach the handler through it.
// Thread-safe.
class Call {
 public:
  // `max_frame_bytes`: the stream's limit from Settings (0: the default).
  Call(uint64_t id, absl::Time deadline, uint32_t max_frame_bytes = kDefaultMaxFrameBytes)
      : id_(id),
        deadline_(deadline),
        max_frame_bytes_(max_frame_bytes == 0 ? kDefaultMaxFrameBytes : max_frame_bytes) {}

  uint64_t id() const { return id_; }
  // The directory's answer must leave room for the frame's envelope.
  OpContext op_context() const {
    size_t budget = answer_budget();
    return OpContext{deadline_, &cancelled_,
                     budget > kFrameEnvelopeBytes ? budget - kFrameEnvelopeBytes : 0};
  }
  uint32_t max_frame_bytes() const { return max_frame_bytes_; }
  // The most one answer (a CallResult) or one chunk's payload may weigh
  // serialized: half a frame, so that the envelope and a cloud that
  // re-encodes never meet the limit, and at most kMaxAnswerBytes.
  size_t answer_budget() const {
    return std::min<size_t>(max_frame_bytes_ / 2, kMaxAnswerBytes);
  }
  void Cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_.load(); }

  // Streamed chunks: each takes one credit. Blocks until one is there;
  // false when the call was cancelled or its deadline passed first.
  bool TakeCredit();
  // Takes a credit if one is there, without waiting.
  bool TryTakeCredit();
  void AddCredit(uint32_t n);

 private:
  const uint64_t id_;
  const absl::Time deadline_;
  const uint32_t max_frame_bytes_;
  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  int64_t credits_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_CALL_H_
