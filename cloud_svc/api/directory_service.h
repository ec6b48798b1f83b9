#ifndef DIRBRIDGE_CLOUD_SVC_API_DIRECTORY_SERVICE_H_
#define DIRBRIDGE_CLOUD_SVC_API_DIRECTORY_SERVICE_H_

#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/routing/router.h"
#include "common/thread_pool.h"
#include "dirbridge/v1/directory.grpc.pb.h"

namespace dirbridge::cloud {

// Directory: lookups answered by a live connector of the caller's tenant.
// Input is checked by the connector, the one place that knows LDAP.
class DirectoryService : public v1::Directory::CallbackService {
 public:
  // `pool` looks up tokens not yet cached.
  DirectoryService(const Authenticator* auth, Router* router, ThreadPool* pool)
      : auth_(auth), router_(router), pool_(pool) {}

  grpc::ServerUnaryReactor* ListNamingContexts(
      grpc::CallbackServerContext* context,
      const v1::ListNamingContextsRequest* request,
      v1::ListNamingContextsResponse* response) override;
  grpc::ServerUnaryReactor* ListOrganizationalUnits(
      grpc::CallbackServerContext* context,
      const v1::ListOrganizationalUnitsRequest* request,
      v1::ListOrganizationalUnitsResponse* response) override;
  grpc::ServerUnaryReactor* ListGroups(grpc::CallbackServerContext* context,
                                       const v1::ListGroupsRequest* request,
                                       v1::ListGroupsResponse* response) override;
  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* context,
                                    const v1::GetUserRequest* request,
                                    v1::User* response) override;
  grpc::ServerWriteReactor<v1::SearchUsersResponse>* SearchUsers(
      grpc::CallbackServerContext* context, const v1::SearchUsersRequest* request) override;

 private:
  // Routes `call` and moves the result's `Resp` case into `response`.
  template <typename Resp>
  grpc::ServerUnaryReactor* Lookup(grpc::CallbackServerContext* context,
                                   v1::CallRequest call, Resp* response,
                                   bool (v1::CallResult::*has)() const,
                                   Resp* (v1::CallResult::*take)());

  const Authenticator* const auth_;
  Router* const router_;
  ThreadPool* const pool_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_DIRECTORY_SERVICE_H_
