#include "cloud_svc/api/auth_service.h"

#include "absl/strings/strip.h"
#include "cloud_svc/api/routed_unary.h"
#include "common/crypto.h"
#include "common/secrets.h"

namespace dirbridge::cloud {

grpc::ServerUnaryReactor* AuthService::Authenticate(grpc::CallbackServerContext* context,
                                                    const v1::AuthenticateRequest* request,
                                                    v1::AuthenticateResponse* response) {
  absl::StatusOr<std::string> tenant = auth_->Tenant(*context);
  if (!tenant.ok()) return FinishWith(context, tenant.status());
  const std::string& username = request->username();
  if (username.empty()) return FinishWith(context, absl::InvalidArgumentError("username is required"));
  bool sealed = !request->sealed_password().empty();
  if (sealed && !request->password().empty()) {
    return FinishWith(context,
                      absl::InvalidArgumentError("send password or sealed_password, not both"));
  }
  // An empty simple bind is an unauthenticated bind that many LDAP servers
  // accept: it never leaves the cloud. (A sealed one is checked by the
  // connector, the only place it opens.)
  if (!sealed && absl::StripAsciiWhitespace(request->password()).empty()) {
    return FinishWith(context, absl::InvalidArgumentError("password is empty"));
  }
  if (!throttle_->Allow(*tenant, username)) {
    return FinishWith(context, absl::ResourceExhaustedError(
                                   "too many failed logins for this user or tenant; try later"));
  }
  RouteOptions options;
  if (sealed) {
    // The box names the connector key it was sealed to: only that
    // connector can open it.
    absl::StatusOr<std::string> recipient = crypto::SealedRecipient(request->sealed_password());
    if (!recipient.ok()) {
      return FinishWith(context,
                        absl::InvalidArgumentError("sealed_password is not a sealed box"));
    }
    for (const auto& s : registry_->Live(*tenant)) {
      if (SecureEquals(s->hello().password_public_key(), *recipient)) {
        options.connector_id = s->identity().connector_id;
      }
    }
    if (options.connector_id.empty()) {
      return FinishWith(context, absl::UnavailableError(
                                     "the connector this password was sealed to is not "
                                     "connected; seal to a connected connector's key "
                                     "(Admin.ListConnectors)"));
    }
  }
  v1::CallRequest call;
  *call.mutable_authenticate() = *request;
  std::string tenant_id = *tenant;
  return RouteUnary(context, router_, *tenant, std::move(call), options,
                    [this, response, tenant_id, username](v1::CallResult& result) -> absl::Status {
                      if (!result.has_authenticate()) {
                        return absl::InternalError(
                            "the connector answered Authenticate with something else");
                      }
                      response->Swap(result.mutable_authenticate());
                      if (response->result() != v1::AUTH_RESULT_OK) {
                        throttle_->RecordFailure(tenant_id, username);
                      }
                      return absl::OkStatus();
                    });
}

}  // namespace dirbridge::cloud
