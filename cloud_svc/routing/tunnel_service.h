#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_TUNNEL_SERVICE_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_TUNNEL_SERVICE_H_

#include "cloud_svc/identity/connector_identity.h"
#include "cloud_svc/identity/registrar.h"
#include "cloud_svc/routing/session_registry.h"
#include "common/thread_pool.h"
#include "dirbridge/v1/tunnel.grpc.pb.h"

namespace dirbridge::cloud {

// The connectors' listener: registration, and one tunnel stream each.
// Everything that asks the store (who a credential is, redeeming a key,
// renewing a certificate) runs on `pool`, never on a reaction's thread.
class TunnelService : public v1::ConnectorTunnel::CallbackService {
 public:
  TunnelService(Registrar* registrar, ConnectorAuthenticator* authenticator,
                SessionRegistry* registry, ThreadPool* pool)
      : registrar_(registrar),
        authenticator_(authenticator),
        registry_(registry),
        pool_(pool) {}

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* context,
                                     const v1::RegisterRequest* request,
                                     v1::RegisterResponse* response) override;
  grpc::ServerBidiReactor<v1::ConnectorFrame, v1::CloudFrame>* Connect(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* RenewCertificate(grpc::CallbackServerContext* context,
                                             const v1::RenewCertificateRequest* request,
                                             v1::RenewCertificateResponse* response) override;

 private:
  Registrar* const registrar_;
  ConnectorAuthenticator* const authenticator_;
  SessionRegistry* const registry_;
  ThreadPool* const pool_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_TUNNEL_SERVICE_H_
