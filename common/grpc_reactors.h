#ifndef DIRBRIDGE_COMMON_GRPC_REACTORS_H_
#define DIRBRIDGE_COMMON_GRPC_REACTORS_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/status/status.h"
#include "absl/functional/any_invocable.h"
#include "common/grpc_status.h"
#include "common/thread_pool.h"

namespace dirbridge {

// Ends a unary call at once with `status`.
grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* context,
                                     const absl::Status& status);

// A streaming reactor that ends at once with `why` (bad token, refused
// connector): for methods that return a stream reactor, not a unary one.
template <typename Reactor>
class RefusedReactor : public Reactor {
 public:
  explicit RefusedReactor(const absl::Status& why) { this->Finish(ToGrpcStatus(why)); }
  void OnDone() override { delete this; }
};

// Runs `work` on `pool`, never on a gRPC thread (it may wait on a disk),
// and finishes the unary call with its status. `work` may read the request
// and write the response: a call with the default reactor ends only with
// its Finish, which comes after `work`. A full pool answers at once with
// QueueFullError(pool, who).
grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* context, ThreadPool* pool,
                                  absl::string_view who, absl::AnyInvocable<absl::Status()> work);

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_GRPC_REACTORS_H_
