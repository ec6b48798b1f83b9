#ifndef DIRBRIDGE_CLOUD_SVC_API_SEARCH_USERS_STREAM_H_
#define DIRBRIDGE_CLOUD_SVC_API_SEARCH_USERS_STREAM_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <string>

#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/routing/router.h"
#include "common/thread_pool.h"
#include "dirbridge/v1/directory.pb.h"

namespace dirbridge::cloud {

// Directory.SearchUsers: the connector's ResultChunks, written to the
// backend as they come. A chunk's credit goes back to the connector only
// once the backend has taken the chunk, so a slow backend slows its own
// call and nothing else, and no more than the credit window is ever held.
// A caller whose token is not cached yet is looked up on `pool`.
grpc::ServerWriteReactor<v1::SearchUsersResponse>* StreamSearchUsers(
    grpc::CallbackServerContext* context, const Authenticator* auth, Router* router,
    ThreadPool* pool, const v1::SearchUsersRequest& request);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_SEARCH_USERS_STREAM_H_
