#include "cloud_svc/api/directory_service.h"

#include "cloud_svc/api/routed_unary.h"
#include "cloud_svc/api/search_users_stream.h"
#include "cloud_svc/api/username.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {

template <typename Resp>
grpc::ServerUnaryReactor* DirectoryService::Lookup(grpc::CallbackServerContext* context,
                                                   v1::CallRequest call, Resp* response,
                                                   bool (v1::CallResult::*has)() const,
                                                   Resp* (v1::CallResult::*take)()) {
  RoutedSteps steps;
  steps.prepare = [call = std::move(call)](const std::string& tenant) mutable
      -> absl::StatusOr<Prepared> {
    if (call.has_get_user()) RETURN_IF_ERROR(CheckUsername(call.get_user().username()));
    Route route{tenant, std::move(call), {}};
    route.options.idempotent = true;  // lookups: safe to ask another connector
    return Prepared{std::move(route), nullptr};
  };
  steps.take = [response, has, take](v1::CallResult& result) -> absl::Status {
    if (!(result.*has)()) {
      return absl::InternalError("the connector answered with another kind of result");
    }
    response->Swap((result.*take)());
    return absl::OkStatus();
  };
  return RouteForTenant(context, auth_, router_, pool_, std::move(steps));
}

grpc::ServerUnaryReactor* DirectoryService::ListNamingContexts(
    grpc::CallbackServerContext* context, const v1::ListNamingContextsRequest* request,
    v1::ListNamingContextsResponse* response) {
  v1::CallRequest call;
  *call.mutable_list_naming_contexts() = *request;
  return Lookup(context, std::move(call), response, &v1::CallResult::has_list_naming_contexts,
                &v1::CallResult::mutable_list_naming_contexts);
}

grpc::ServerUnaryReactor* DirectoryService::ListOrganizationalUnits(
    grpc::CallbackServerContext* context, const v1::ListOrganizationalUnitsRequest* request,
    v1::ListOrganizationalUnitsResponse* response) {
  v1::CallRequest call;
  *call.mutable_list_organizational_units() = *request;
  return Lookup(context, std::move(call), response,
                &v1::CallResult::has_list_organizational_units,
                &v1::CallResult::mutable_list_organizational_units);
}

grpc::ServerUnaryReactor* DirectoryService::ListGroups(grpc::CallbackServerContext* context,
                                                       const v1::ListGroupsRequest* request,
                                                       v1::ListGroupsResponse* response) {
  v1::CallRequest call;
  *call.mutable_list_groups() = *request;
  return Lookup(context, std::move(call), response, &v1::CallResult::has_list_groups,
                &v1::CallResult::mutable_list_groups);
}

grpc::ServerUnaryReactor* DirectoryService::GetUser(grpc::CallbackServerContext* context,
                                                    const v1::GetUserRequest* request,
                                                    v1::User* response) {
  v1::CallRequest call;
  *call.mutable_get_user() = *request;
  return Lookup(context, std::move(call), response, &v1::CallResult::has_get_user,
                &v1::CallResult::mutable_get_user);
}

grpc::ServerWriteReactor<v1::SearchUsersResponse>* DirectoryService::SearchUsers(
    grpc::CallbackServerContext* context, const v1::SearchUsersRequest* request) {
  return StreamSearchUsers(context, auth_, router_, pool_, *request);
}

}  // namespace dirbridge::cloud
