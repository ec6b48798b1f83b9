#include "cloud_svc/directory_service.h"

#include "cloud_svc/routed_unary.h"

namespace dirbridge::cloud {

grpc::ServerUnaryReactor* DirectoryService::ListNamingContexts(
    grpc::CallbackServerContext* context,
    const v1::ListNamingContextsRequest* request,
    v1::ListNamingContextsResponse* response) {
  absl::StatusOr<std::string> tenant = auth_->Tenant(*context);
  if (!tenant.ok()) return FinishWith(context, tenant.status());
  v1::CallRequest call;
  *call.mutable_list_naming_contexts() = *request;
  RouteOptions options;
  options.idempotent = true;
  return RouteUnary(context, router_, *tenant, std::move(call), options,
                    [response](v1::CallResult& result) -> absl::Status {
                      if (!result.has_list_naming_contexts()) {
                        return absl::InternalError(
                            "connector answered ListNamingContexts with something else");
                      }
                      response->Swap(result.mutable_list_naming_contexts());
                      return absl::OkStatus();
                    });
}

}  // namespace dirbridge::cloud
