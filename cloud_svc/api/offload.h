#ifndef DIRBRIDGE_CLOUD_SVC_API_OFFLOAD_H_
#define DIRBRIDGE_CLOUD_SVC_API_OFFLOAD_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "cloud_svc/identity/authenticator.h"
#include "common/grpc_reactors.h"
#include "common/thread_pool.h"

namespace dirbridge::cloud {

// Offload (common/grpc_reactors.h) runs a backend call's store work on the
// store pool.
//
// The same for a tenant's call: `work` runs for the caller's tenant, or the
// call ends with why there is none (UNAUTHENTICATED, PERMISSION_DENIED).
grpc::ServerUnaryReactor* OffloadForTenant(
    grpc::CallbackServerContext* context, const Authenticator* auth, ThreadPool* pool,
    absl::AnyInvocable<absl::Status(const std::string& tenant_id)> work);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_OFFLOAD_H_
