#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_HOLDER_LINK_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_HOLDER_LINK_H_

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cloud_svc/routing/router.h"
#include "dirbridge/v1/peer.grpc.pb.h"

namespace dirbridge::cloud {

// How a call another replica forwarded is routed here, for Forward and
// Link alike: to its connector among this replica's own sessions only (a
// forwarded call is never forwarded again), within its timeout.
absl::StatusOr<RouteOptions> ForwardRoute(const v1::ForwardCall& forward);

// The most calls one link carries at once, and the most answers queued
// for an origin that does not read them (it is not read meanwhile): a
// replica is trusted, but a bug in one must not grow another without
// bound.
inline constexpr size_t kMaxCallsPerLink = 1 << 16;
inline constexpr size_t kMaxQueuedReplies = 4096;

// Trailing metadata of a Link the holder ended or refused: the last call
// id it read (0: none). A later call was not taken.
inline constexpr char kLinkLastCallTrailer[] = "dirbridge-link-last-call";

class HolderLink;

// This replica's ends of the Link streams other replicas opened to it,
// so that a stopping replica can end them once its calls are done rather
// than wait out the server's shutdown deadline. Thread-safe.
class HolderLinks {
 public:
  explicit HolderLinks(Router* router) : router_(router) {}

  grpc::ServerBidiReactor<v1::LinkFrame, v1::LinkReply>* Open(
      grpc::CallbackServerContext* context);
  // Every link ends once its calls are answered; calls that arrive
  // meanwhile come back not_sent. For good: links opened later end at once.
  void Close();

 private:
  friend class HolderLink;
  void Forget(HolderLink* link);

  Router* const router_;
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<HolderLink*> open_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_HOLDER_LINK_H_
