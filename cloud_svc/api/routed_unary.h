#ifndef DIRBRIDGE_CLOUD_SVC_API_ROUTED_UNARY_H_
#define DIRBRIDGE_CLOUD_SVC_API_ROUTED_UNARY_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/routing/router.h"
#include "common/grpc_reactors.h"
#include "common/thread_pool.h"

namespace dirbridge::cloud {

// Moves the connector's answer into the backend's response; an error when
// the result is not of the kind the call asked for.
using TakeResponse = std::function<absl::Status(v1::CallResult& result)>;

// Where a backend call goes.
struct Route {
  std::string tenant_id;
  v1::CallRequest request;
  RouteOptions options;
};

// What a call's first step decided: send `route`, or answer at once
// (`answer` fills the response; it runs only if the call is still open, so
// it never writes into a response whose call has ended).
struct Prepared {
  std::optional<Route> route;
  std::function<void()> answer;
};

// A routed backend call in steps. gRPC reactions never wait on the store
// (a hung disk would stall every tunnel and every backend call of the
// process), so each step that may is marked, and runs on the store pool.
struct RoutedSteps {
  // Checks the request and builds the route, for the caller's tenant.
  absl::AnyInvocable<absl::StatusOr<Prepared>(const std::string& tenant_id)> prepare;
  // The connector's answer into the response.
  TakeResponse take;
  bool prepare_touches_store = false;
  bool take_touches_store = false;
};

// Sends `request` through the router and finishes the backend call with the
// connector's answer. The backend's deadline travels with the call; a backend
// that cancels, or whose deadline passes, makes the connector drop the work,
// and the call ends then, never later. `take` runs on the session's thread:
// it must not touch the store.
grpc::ServerUnaryReactor* RouteUnary(grpc::CallbackServerContext* context,
                                     Router* router,
                                     const std::string& tenant_id,
                                     v1::CallRequest request,
                                     RouteOptions options, TakeResponse take);

// The same in steps: the caller's tenant (on `pool` unless its token is
// cached), then `prepare`, the route, and `take`, each on `pool` when it
// touches the store. A full pool answers RESOURCE_EXHAUSTED.
grpc::ServerUnaryReactor* RouteForTenant(grpc::CallbackServerContext* context,
                                         const Authenticator* auth, Router* router,
                                         ThreadPool* pool, RoutedSteps steps);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_ROUTED_UNARY_H_
