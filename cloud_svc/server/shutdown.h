#ifndef DIRBRIDGE_CLOUD_SVC_SERVER_SHUTDOWN_H_
#define DIRBRIDGE_CLOUD_SVC_SERVER_SHUTDOWN_H_

#include <grpcpp/server.h>

#include "absl/time/time.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/routing/session_registry.h"
#include "cloud_svc/server/replica.h"
#include "common/thread_pool.h"

namespace dirbridge::cloud {

// What a SIGTERM stops, in the order it must. `replica` is null on a
// single replica.
struct RunningCloud {
  Router* router;
  SessionRegistry* registry;
  grpc::Server* backend;
  grpc::Server* tunnel;
  Replica* replica;
  ThreadPool* store_pool;
};

// One replica of N: connectors are asked to move (Goaway) and backend
// calls keep landing here and following them, until the connectors have
// gone; then the backend listener stops taking calls (its clients go to
// the other replicas) and the calls in flight finish. One replica alone:
// backend calls in flight finish first, since they need the tunnels. Then
// the sessions close, and queued store steps run while their services
// still exist.
void DrainAndStop(const RunningCloud& cloud, absl::Duration drain_timeout);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_SERVER_SHUTDOWN_H_
