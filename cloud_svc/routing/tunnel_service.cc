#include "cloud_svc/routing/tunnel_service.h"

#include <memory>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_reactors.h"
#include "common/grpc_status.h"
#include "common/log.h"

namespace dirbridge::cloud {
namespace {

// A P-256 CSR in PEM is under 1 KiB; room for extensions, no room for abuse.
constexpr size_t kMaxCsrBytes = 16 * 1024;

}  // namespace

grpc::ServerUnaryReactor* TunnelService::Register(
    grpc::CallbackServerContext* context, const v1::RegisterRequest* request,
    v1::RegisterResponse* response) {
  std::string peer = context->peer();
  // Checked before any work: a registration key is no licence to send
  // megabytes (the tunnel listener takes frames up to 16 MiB). The key
  // itself is bounded by the Registrar, whose refusals all read the same.
  for (auto [what, size, limit] :
       {std::tuple<const char*, size_t, size_t>{"hostname", request->hostname().size(), 255},
        {"version", request->version().size(), 128},
        {"csr_pem", request->csr_pem().size(), kMaxCsrBytes}}) {
    if (size > limit) {
      return FinishWith(context, absl::InvalidArgumentError(absl::StrCat(
                                     "register: ", what, " is ", size,
                                     " bytes; the limit is ", limit)));
    }
  }
  return Offload(context, pool_, "tunnel: cloud_svc", [this, request, response, peer]() {
    absl::StatusOr<v1::RegisterResponse> out = registrar_->Redeem(*request);
    if (!out.ok()) {
      spdlog::warn("event=registration_refused peer={}", peer);
      return out.status();
    }
    *response = std::move(*out);
    // A new credential replaces the old one: streams opened with the old
    // one end now, ready or not.
    registry_->Revoke(response->tenant_id(), response->connector_id(),
                      absl::UnauthenticatedError("the connector was registered again"));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TunnelService::RenewCertificate(
    grpc::CallbackServerContext* context, const v1::RenewCertificateRequest* request,
    v1::RenewCertificateResponse* response) {
  if (request->csr_pem().size() > kMaxCsrBytes) {
    return FinishWith(context, absl::InvalidArgumentError(absl::StrCat(
                                   "renew: csr_pem is ", request->csr_pem().size(),
                                   " bytes; the limit is ", kMaxCsrBytes)));
  }
  std::string presented = authenticator_->Presented(*context);
  return Offload(context, pool_, "tunnel: cloud_svc", [this, request, response, presented]() -> absl::Status {
    absl::StatusOr<ConnectorIdentity> id = authenticator_->Identify(presented);
    if (!id.ok()) return id.status();
    absl::StatusOr<std::string> cert = registrar_->Renew(*id, request->csr_pem());
    if (!cert.ok()) return cert.status();
    response->set_certificate_pem(std::move(*cert));
    return absl::OkStatus();
  });
}

grpc::ServerBidiReactor<v1::ConnectorFrame, v1::CloudFrame>* TunnelService::Connect(
    grpc::CallbackServerContext* context) {
  std::shared_ptr<Session> session = Session::Start(context, registry_, registry_->limits());
  // Who it is comes from the store: copy what the stream presents now, look
  // it up on the pool; the stream reads nothing until then.
  std::string presented = authenticator_->Presented(*context);
  std::string peer = context->peer();
  bool queued = pool_->TrySchedule([this, session, presented = std::move(presented),
                                    peer = std::move(peer)]() mutable {
    absl::StatusOr<ConnectorIdentity> id = authenticator_->Identify(presented);
    if (!id.ok()) {
      spdlog::warn("event=tunnel_refused peer={} reason=\"{}\"", peer, id.status().message());
      session->Refuse(id.status());
      return;
    }
    registry_->Adopt(session, *id, presented);
  });
  if (!queued) session->Refuse(QueueFullError(*pool_, "tunnel: cloud_svc"));
  return session.get();
}

}  // namespace dirbridge::cloud
