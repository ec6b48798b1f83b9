#ifndef DIRBRIDGE_CLOUD_SVC_SERVER_REPLICA_H_
#define DIRBRIDGE_CLOUD_SVC_SERVER_REPLICA_H_

#include <grpcpp/server.h>

#include <memory>

#include "absl/status/statusor.h"
#include "cloud_svc/config/cloud_config.h"
#include "cloud_svc/identity/tunnel_ca.h"
#include "cloud_svc/routing/peer/peer_service.h"
#include "cloud_svc/routing/presence.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/routing/session_registry.h"

namespace dirbridge::cloud {

// This process as one of N replicas (--peer_addr with a PostgreSQL store):
// its presence, and the peer listener other replicas forward calls to.
class Replica {
 public:
  // Null (and OK) without --peer_addr: one replica, nothing shared. `ca`
  // is null under --insecure, and the peer hop is then plaintext too.
  static absl::StatusOr<std::unique_ptr<Replica>> Make(const CloudConfig& config, Store* store,
                                                       const TunnelCa* ca);

  Presence* presence() { return presence_.get(); }
  // Serves the peer hop into `router`, hears of `registry`'s sessions and
  // publishes this replica. The peer port bound goes to *port.
  absl::Status Start(Router* router, SessionRegistry* registry, int* port);
  // Stage one of SIGTERM: Goaway on every session so that its connector
  // moves to another replica; waits until they have left, or `deadline`.
  // Backend calls still land here meanwhile, and go to where they moved.
  void Drain(SessionRegistry* registry, absl::Time deadline);
  // Last: the peer listener closes and this replica's row goes.
  void Stop();

 private:
  Replica(const CloudConfig& config, std::unique_ptr<Presence> presence, bool tls,
          std::shared_ptr<grpc::ServerCredentials> server_creds)
      : config_(config),
        presence_(std::move(presence)),
        tls_(tls),
        server_creds_(std::move(server_creds)) {}

  const CloudConfig config_;
  std::unique_ptr<Presence> presence_;
  const bool tls_;
  std::shared_ptr<grpc::ServerCredentials> server_creds_;
  std::unique_ptr<PeerService> service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_SERVER_REPLICA_H_
