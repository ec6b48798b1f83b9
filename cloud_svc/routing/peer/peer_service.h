#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_PEER_SERVICE_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_PEER_SERVICE_H_

#include <string>

#include "cloud_svc/routing/peer/holder_link.h"
#include "cloud_svc/routing/router.h"
#include "dirbridge/v1/peer.grpc.pb.h"

namespace dirbridge::cloud {

// The holder's half of the peer hop: a call another replica forwarded is
// routed to this replica's own session of the named connector (never
// forwarded again), and its chunks and answer are streamed back. With
// `require_replica_cert`, only a peer presenting a tunnel-CA certificate
// that names a replica is served; a connector's certificate, signed by the
// same CA, is refused.
class PeerService : public v1::ReplicaPeer::CallbackService {
 public:
  PeerService(Router* router, bool require_replica_cert)
      : router_(router), require_replica_cert_(require_replica_cert), links_(router) {}

  grpc::ServerBidiReactor<v1::PeerFrame, v1::PeerReply>* Forward(
      grpc::CallbackServerContext* context) override;
  grpc::ServerBidiReactor<v1::LinkFrame, v1::LinkReply>* Link(
      grpc::CallbackServerContext* context) override;

  // The replica stops: links end once their calls are answered, so that
  // the server's shutdown does not wait out its deadline for them.
  void CloseLinks() { links_.Close(); }

 private:
  Router* const router_;
  const bool require_replica_cert_;
  HolderLinks links_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_PEER_PEER_SERVICE_H_
