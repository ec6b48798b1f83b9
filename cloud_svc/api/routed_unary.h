#ifndef DIRBRIDGE_CLOUD_SVC_API_ROUTED_UNARY_H_
#define DIRBRIDGE_CLOUD_SVC_API_ROUTED_UNARY_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "cloud_svc/routing/router.h"
#include "common/grpc_reactors.h"

namespace dirbridge::cloud {

// Moves the connector's answer into the backend's response; an error when
// the result is not of the kind the call asked for.
using TakeResponse = std::function<absl::Status(v1::CallResult& result)>;

// Sends `request` through the router and finishes the backend call with the
// connector's answer. The backend's deadline travels with the call; a backend
// that cancels, or whose deadline passes, makes the connector drop the work,
// and the call ends then, never later.
grpc::ServerUnaryReactor* RouteUnary(grpc::CallbackServerContext* context,
                                     Router* router,
                                     const std::string& tenant_id,
                                     v1::CallRequest request,
                                     RouteOptions options, TakeResponse take);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_ROUTED_UNARY_H_
