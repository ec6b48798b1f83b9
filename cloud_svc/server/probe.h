#ifndef DIRBRIDGE_CLOUD_SVC_SERVER_PROBE_H_
#define DIRBRIDGE_CLOUD_SVC_SERVER_PROBE_H_

#include "cloud_svc/config/cloud_flags.h"

namespace dirbridge::cloud {

// --probe: a health check for container orchestrators, in the same binary
// so that an image needs no grpc_health_probe. Asks grpc.health.v1 at
// target.address (3 s deadline), prints SERVING or why not on stdout, and
// returns the exit status: 0 when SERVING, else 1.
int Probe(const ProbeTarget& target);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_SERVER_PROBE_H_
