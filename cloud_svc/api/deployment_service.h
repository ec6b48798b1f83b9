#ifndef DIRBRIDGE_CLOUD_SVC_API_DEPLOYMENT_SERVICE_H_
#define DIRBRIDGE_CLOUD_SVC_API_DEPLOYMENT_SERVICE_H_

#include "cloud_svc/api/quotas.h"
#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/store/store.h"
#include "common/thread_pool.h"
#include "dirbridge/v1/deployment.grpc.pb.h"

namespace dirbridge::cloud {

// Mass deployment: a token per mapping, handed to backup clients, which
// activate with the user's directory name. The user is looked up live
// through a connector, must be inside the mapping, and is created once.
class DeploymentService : public v1::Deployment::CallbackService {
 public:
  // `pool` runs the steps that touch the store. `quotas`: deployment
  // tokens and devices per tenant.
  DeploymentService(const Authenticator* auth, Router* router, Store* store, ThreadPool* pool,
                    TenantQuotas quotas = {})
      : auth_(auth), router_(router), store_(store), pool_(pool), quotas_(quotas) {}

  grpc::ServerUnaryReactor* CreateDeploymentToken(
      grpc::CallbackServerContext* context, const v1::CreateDeploymentTokenRequest* request,
      v1::CreateDeploymentTokenResponse* response) override;
  grpc::ServerUnaryReactor* Activate(grpc::CallbackServerContext* context,
                                     const v1::ActivateRequest* request,
                                     v1::ActivateResponse* response) override;

 private:
  const Authenticator* const auth_;
  Router* const router_;
  Store* const store_;
  ThreadPool* const pool_;
  const TenantQuotas quotas_;
};

// Whether a directory user falls inside a mapping: under its base DN (or
// one of its OUs) and, when it names groups, a direct member of one. DNs
// compare parsed (common/dn.h), never as strings: an escaped comma in a
// name cannot place a user under another branch. A DN that does not parse
// is outside.
bool InMapping(const MappingRecord& mapping, const v1::User& user);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_DEPLOYMENT_SERVICE_H_
