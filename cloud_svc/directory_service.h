#ifndef DIRBRIDGE_CLOUD_SVC_DIRECTORY_SERVICE_H_
#define DIRBRIDGE_CLOUD_SVC_DIRECTORY_SERVICE_H_

#include "cloud_svc/authenticator.h"
#include "cloud_svc/router.h"
#include "dirbridge/v1/directory.grpc.pb.h"

namespace dirbridge::cloud {

// Directory: lookups answered by a live connector of the caller's tenant.
// Methods not overridden here answer UNIMPLEMENTED.
class DirectoryService : public v1::Directory::CallbackService {
 public:
  DirectoryService(const Authenticator* auth, Router* router)
      : auth_(auth), router_(router) {}

  grpc::ServerUnaryReactor* ListNamingContexts(
      grpc::CallbackServerContext* context,
      const v1::ListNamingContextsRequest* request,
      v1::ListNamingContextsResponse* response) override;

 private:
  const Authenticator* const auth_;
  Router* const router_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_DIRECTORY_SERVICE_H_
