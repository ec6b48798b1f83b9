#ifndef DIRBRIDGE_COMMON_GRPC_REACTORS_H_
#define DIRBRIDGE_COMMON_GRPC_REACTORS_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/status/status.h"
#include "common/grpc_status.h"

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

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_GRPC_REACTORS_H_
