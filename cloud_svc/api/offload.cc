#include "cloud_svc/api/offload.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace dirbridge::cloud {

grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* context, ThreadPool* pool,
                                  absl::AnyInvocable<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  bool queued = pool->TrySchedule([reactor, work = std::move(work)]() mutable {
    reactor->Finish(ToGrpcStatus(work()));
  });
  if (!queued) {
    reactor->Finish(ToGrpcStatus(absl::ResourceExhaustedError(absl::StrCat(
        "cloud_svc is overloaded: ", pool->max_queued(),
        " backend calls already wait for the store; retry with backoff"))));
  }
  return reactor;
}

grpc::ServerUnaryReactor* OffloadForTenant(
    grpc::CallbackServerContext* context, const Authenticator* auth, ThreadPool* pool,
    absl::AnyInvocable<absl::Status(const std::string& tenant_id)> work) {
  return Offload(context, pool, [context, auth, work = std::move(work)]() mutable {
    absl::StatusOr<std::string> tenant = auth->Tenant(Authenticator::Authorization(*context));
    if (!tenant.ok()) return tenant.status();
    return work(*tenant);
  });
}

}  // namespace dirbridge::cloud
