#include "cloud_svc/server/shutdown.h"

#include <grpcpp/health_check_service_interface.h>

#include <algorithm>

#include "common/log.h"

namespace dirbridge::cloud {
namespace {

// Long enough for a health watch to carry NOT_SERVING to every client and
// for calls they had already sent to arrive.
constexpr absl::Duration kLameDuck = absl::Milliseconds(1500);

}  // namespace

void DrainAndStop(const RunningCloud& cloud, absl::Duration drain_timeout) {
  absl::Time drain = absl::Now() + drain_timeout;
  if (cloud.replica != nullptr) {
    cloud.replica->Drain(cloud.registry, drain);
    // Lame duck: health says NOT_SERVING while calls are still served, so
    // that load balancers and clients that watch it (gRPC's client health
    // checking) stop sending here. Only then does Shutdown refuse new
    // calls: one that races it is cancelled, and a cancelled login is one
    // the backend cannot safely retry.
    if (grpc::HealthCheckServiceInterface* health = cloud.backend->GetHealthCheckService()) {
      health->SetServingStatus(false);
      absl::SleepFor(kLameDuck);
    }
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
