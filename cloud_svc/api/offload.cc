#include "cloud_svc/api/offload.h"

#include <utility>

#include "common/grpc_status.h"

namespace dirbridge::cloud {

grpc::ServerUnaryReactor* OffloadForTenant(
    grpc::CallbackServerContext* context, const Authenticator* auth, ThreadPool* pool,
    absl::AnyInvocable<absl::Status(const std::string& tenant_id)> work) {
  return Offload(context, pool, "cloud_svc", [context, auth, work = std::move(work)]() mutable {
    absl::StatusOr<std::string> tenant = auth->Tenant(Authenticator::Authorization(*context));
    if (!tenant.ok()) return tenant.status();
    return work(*tenant);
  });
}

}  // namespace dirbridge::cloud
