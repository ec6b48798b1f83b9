#ifndef DIRBRIDGE_CLOUD_SVC_API_ADMIN_SERVICE_H_
#define DIRBRIDGE_CLOUD_SVC_API_ADMIN_SERVICE_H_

#include "cloud_svc/api/quotas.h"
#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/identity/registrar.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/routing/session_registry.h"
#include "cloud_svc/store/store.h"
#include "common/thread_pool.h"
#include "dirbridge/v1/admin.grpc.pb.h"

namespace dirbridge::cloud {

// Admin: tenants, connectors, registration keys, alerts.
class AdminService : public v1::Admin::CallbackService {
 public:
  // `pool` runs every step that touches the store. `quotas`: connectors
  // per tenant.
  AdminService(Store* store, const Authenticator* auth, Registrar* registrar,
               SessionRegistry* registry, Router* router, ThreadPool* pool,
               TenantQuotas quotas = {})
      : store_(store),
        auth_(auth),
        registrar_(registrar),
        registry_(registry),
        router_(router),
        pool_(pool),
        quotas_(quotas) {}

  grpc::ServerUnaryReactor* CreateTenant(grpc::CallbackServerContext* context,
                                         const v1::CreateTenantRequest* request,
                                         v1::CreateTenantResponse* response) override;
  grpc::ServerUnaryReactor* CreateConnector(grpc::CallbackServerContext* context,
                                            const v1::CreateConnectorRequest* request,
                                            v1::Connector* response) override;
  grpc::ServerUnaryReactor* GetRegistrationKey(
      grpc::CallbackServerContext* context,
      const v1::GetRegistrationKeyRequest* request,
      v1::GetRegistrationKeyResponse* response) override;
  grpc::ServerUnaryReactor* ListConnectors(grpc::CallbackServerContext* context,
                                           const v1::ListConnectorsRequest* request,
                                           v1::ListConnectorsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteConnector(grpc::CallbackServerContext* context,
                                            const v1::DeleteConnectorRequest* request,
                                            v1::DeleteConnectorResponse* response) override;
  grpc::ServerUnaryReactor* ListAlerts(grpc::CallbackServerContext* context,
                                       const v1::ListAlertsRequest* request,
                                       v1::ListAlertsResponse* response) override;
  grpc::ServerUnaryReactor* PingConnector(grpc::CallbackServerContext* context,
                                          const v1::PingConnectorRequest* request,
                                          v1::PingConnectorResponse* response) override;

 private:
  absl::Status DoCreateTenant(grpc::CallbackServerContext* context,
                              const v1::CreateTenantRequest& request,
                              v1::CreateTenantResponse* response);
  absl::Status DoCreateConnector(const std::string& tenant,
                                 const v1::CreateConnectorRequest& request,
                                 v1::Connector* response);
  absl::Status DoListConnectors(const std::string& tenant,
                                v1::ListConnectorsResponse* response);
  absl::Status DoDeleteConnector(const std::string& tenant,
                                 const std::string& connector_id);
  absl::Status DoListAlerts(const std::string& tenant,
                            const v1::ListAlertsRequest& request,
                            v1::ListAlertsResponse* response);
  void FillConnector(const ConnectorRecord& record, v1::Connector* out) const;

  Store* const store_;
  const Authenticator* const auth_;
  Registrar* const registrar_;
  SessionRegistry* const registry_;
  Router* const router_;
  ThreadPool* const pool_;
  const TenantQuotas quotas_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_ADMIN_SERVICE_H_
