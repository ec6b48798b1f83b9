#include "cloud_svc/routing/tunnel_service.h"

#include "common/grpc_reactors.h"
#include "common/grpc_status.h"
#include "common/log.h"

namespace dirbridge::cloud {

grpc::ServerUnaryReactor* TunnelService::Register(
    grpc::CallbackServerContext* context, const v1::RegisterRequest* request,
    v1::RegisterResponse* response) {
  absl::StatusOr<v1::RegisterResponse> out = registrar_->Redeem(*request);
  if (!out.ok()) {
    spdlog::warn("event=registration_refused peer={}", context->peer());
    return FinishWith(context, out.status());
  }
  *response = std::move(*out);
  return FinishWith(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* TunnelService::RenewCertificate(
    grpc::CallbackServerContext* context, const v1::RenewCertificateRequest* request,
    v1::RenewCertificateResponse* response) {
  absl::StatusOr<ConnectorIdentity> id = authenticator_->Identify(*context);
  if (!id.ok()) return FinishWith(context, id.status());
  absl::StatusOr<std::string> cert = registrar_->Renew(*id, request->csr_pem());
  if (!cert.ok()) return FinishWith(context, cert.status());
  response->set_certificate_pem(std::move(*cert));
  return FinishWith(context, absl::OkStatus());
}

grpc::ServerBidiReactor<v1::ConnectorFrame, v1::CloudFrame>* TunnelService::Connect(
    grpc::CallbackServerContext* context) {
  absl::StatusOr<ConnectorIdentity> id = authenticator_->Identify(*context);
  if (!id.ok()) {
    spdlog::warn("event=tunnel_refused peer={} reason=\"{}\"", context->peer(),
                 id.status().message());
    return new RefusedReactor<
        grpc::ServerBidiReactor<v1::ConnectorFrame, v1::CloudFrame>>(id.status());
  }
  std::shared_ptr<Session> session =
      Session::Start(context, registry_, *id, registry_->limits());
  registry_->Adopt(session);
  session->Begin();
  return session.get();
}

}  // namespace dirbridge::cloud
