#include "cloud_svc/server/shutdown.h"

#include <algorithm>

#include "common/log.h"

namespace dirbridge::cloud {

void DrainAndStop(const RunningCloud& cloud, absl::Duration drain_timeout) {
  absl::Time drain = absl::Now() + drain_timeout;
  if (cloud.replica != nullptr) {
    cloud.replica->Drain(cloud.registry, drain);
    // gRPC's Shutdown refuses new calls at once (GOAWAY: a client's
    // channel picks another replica) and waits for those in flight.
    cloud.backend->Shutdown(absl::ToChronoTime(std::max(drain, absl::Now() + absl::Seconds(1))));
  }
  cloud.router->StopAccepting();
  if (!cloud.router->WaitIdle(drain)) {
    spdlog::warn("event=drain_timeout note=\"cancelling calls still in flight\"");
  }
  // (gRPC's own Server::Shutdown also waits for idle client channels to go
  // away, which a backend with a pooled channel never does: hence a short
  // deadline once the router is idle.)
  cloud.backend->Shutdown(absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
  if (cloud.replica != nullptr) cloud.replica->Stop();
  cloud.registry->CloseAll(absl::UnavailableError("cloud_svc is shutting down"));
  cloud.registry->WaitUntilEmpty(absl::Now() + absl::Seconds(2));
  cloud.tunnel->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  cloud.store_pool->Stop();
}

}  // namespace dirbridge::cloud
