#ifndef DIRBRIDGE_CLOUD_SVC_API_OFFLOAD_H_
#define DIRBRIDGE_CLOUD_SVC_API_OFFLOAD_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "cloud_svc/identity/authenticator.h"
#include "common/thread_pool.h"

namespace dirbridge::cloud {

// Runs a backend method's work on `pool`, never on a gRPC thread: reading
// or writing the store may wait on a disk, and a waiting reaction would
// stall every tunnel and backend call of the process. The call finishes
// with the status `work` returns. `work` may read the request and write
// the response: a call with the default reactor ends only with its
// Finish, which comes after `work`. A full pool answers RESOURCE_EXHAUSTED
// at once.
grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* context, ThreadPool* pool,
                                  absl::AnyInvocable<absl::Status()> work);

// The same for a tenant's call: `work` runs for the caller's tenant, or the
// call ends with why there is none (UNAUTHENTICATED, PERMISSION_DENIED).
grpc::ServerUnaryReactor* OffloadForTenant(
    grpc::CallbackServerContext* context, const Authenticator* auth, ThreadPool* pool,
    absl::AnyInvocable<absl::Status(const std::string& tenant_id)> work);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_OFFLOAD_H_
