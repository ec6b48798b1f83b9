#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_PEER_LINK_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_PEER_LINK_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "cloud_svc/routing/call_target.h"
#include "cloud_svc/routing/peer/forwarded_call.h"
#include "cloud_svc/routing/peer/holder_link.h"
#include "dirbridge/v1/peer.grpc.pb.h"

namespace dirbridge::cloud {

// This replica's way to one other replica: the channel (for the streams of
// ReplicaPeer.Forward) and one ReplicaPeer.Link stream that carries every
// call that does not stream, each one message each way. A broken link is
// opened again by the next call. Thread-safe.
class PeerLink {
 public:
  explicit PeerLink(std::shared_ptr<v1::ReplicaPeer::Stub> stub);
  ~PeerLink();  // Ends the stream; its calls' on_done see UNAVAILABLE.
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  v1::ReplicaPeer::Stub* stub() const { return stub_.get(); }

  // Ends the link for good and waits (up to `timeout`) until gRPC is done
  // with every stream it opened: a stream still open when the process
  // exits races gRPC's own teardown. Calls after it answer UNAVAILABLE.
  void Close(absl::Duration timeout);

  // Sends `call` over the link. UNAVAILABLE, with nothing sent and no
  // handler run, when the link cannot take it (it cannot be opened, or
  // too much waits to be written). Otherwise handlers.on_done runs exactly
  // once, then on_end: the holder's answer; NotSentError when the holder
  // did not take the call; UNAVAILABLE when the link broke after the
  // holder may have taken it. Cancel on the returned handle ends the call
  // here at once.
  absl::StatusOr<std::shared_ptr<Forward>> Call(v1::ForwardCall call, CallHandlers handlers,
                                                std::function<void()> on_end);

  class Stream;  // one incarnation of the link, below

 private:

  const std::shared_ptr<v1::ReplicaPeer::Stub> stub_;
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<Stream> stream_ ABSL_GUARDED_BY(mu_);
  // Every stream opened that gRPC may not be done with yet.
  std::vector<std::weak_ptr<Stream>> opened_ ABSL_GUARDED_BY(mu_);
};

// One incarnation of the link: the client half of ReplicaPeer.Link
// (callback API). Keeps itself alive until gRPC is done with it.
class PeerLink::Stream : public grpc::ClientBidiReactor<v1::LinkFrame, v1::LinkReply>,
                         public std::enable_shared_from_this<PeerLink::Stream> {
 public:
  // Starts the RPC; `self` is this stream, held until OnDone.
  void Start(v1::ReplicaPeer::Stub* stub, std::shared_ptr<Stream> self);
  enum class Sent { kYes, kOver, kFull };
  // kOver: the stream is over, the caller opens another; kFull: too much
  // waits to be written. Takes the call and its handlers only on kYes.
  // On kYes, *id is the call's id on the link.
  Sent Send(v1::ForwardCall* call, CallHandlers* handlers, std::function<void()>* on_end,
            uint64_t* id);
  void CancelCall(uint64_t id, const absl::Status& why);
  void End() { context_.TryCancel(); }

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  // Frames waiting to be written, past which calls are refused: a holder
  // that stopped reading holds no more of this replica's memory.
  static constexpr size_t kMaxQueued = 4096;

 private:
  struct Pending {
    CallHandlers handlers;
    std::function<void()> on_end;
    bool written = false;  // handed to gRPC whole: the holder may have it
  };
  struct Out {
    v1::LinkFrame frame;
    uint64_t call_id = 0;  // 0 for a cancel
    bool dropped = false;  // cancelled before it was written: skipped
  };

  void Write(Out out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Complete(Pending pending, absl::StatusOr<v1::CallResult> outcome);

  grpc::ClientContext context_;
  v1::LinkReply in_;  // the one read in flight

  absl::Mutex mu_;
  std::shared_ptr<Stream> self_ ABSL_GUARDED_BY(mu_);
  bool over_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, Pending> pending_ ABSL_GUARDED_BY(mu_);
  std::deque<Out> outbox_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_PEER_LINK_H_
