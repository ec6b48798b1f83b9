#include "cloud_svc/api/auth_service.h"

#include <memory>
#include <string>

#include "absl/strings/strip.h"
#include "cloud_svc/api/routed_unary.h"
#include "cloud_svc/api/username.h"
#include "common/crypto.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {

grpc::ServerUnaryReactor* AuthService::Authenticate(grpc::CallbackServerContext* context,
                                                    const v1::AuthenticateRequest* request,
                                                    v1::AuthenticateResponse* response) {
  // Whose login it is, for the throttle: prepare learns it, take (always
  // later, on the answer) reads it.
  auto tenant_of_call = std::make_shared<std::string>();
  RoutedSteps steps;
  steps.prepare = [this, request, tenant_of_call](
                      const std::string& tenant) -> absl::StatusOr<Prepared> {
    *tenant_of_call = tenant;
    const std::string& username = request->username();
    RETURN_IF_ERROR(CheckUsername(username));
    bool sealed = !request->sealed_password().empty();
    if (sealed && !request->password().empty()) {
      return absl::InvalidArgumentError("send password or sealed_password, not both");
    }
    // An empty simple bind is an unauthenticated bind that many LDAP servers
    // accept: it never leaves the cloud. (A sealed one is checked by the
    // connector, the only place it opens.)
    if (!sealed && absl::StripAsciiWhitespace(request->password()).empty()) {
      return absl::InvalidArgumentError("password is empty");
    }
    if (!throttle_->Allow(tenant, username)) {
      return absl::ResourceExhaustedError(
          "too many failed logins for this user or tenant; try later");
    }
    Route route{tenant, {}, {}};
    if (sealed) {
      // The box names the connector key it was sealed to: only that
      // connector can open it.
      absl::StatusOr<std::string> recipient = crypto::SealedRecipient(request->sealed_password());
      if (!recipient.ok()) return absl::InvalidArgumentError("sealed_password is not a sealed box");
      for (const auto& s : registry_->Live(tenant)) {
        if (SecureEquals(s->hello().password_public_key(), *recipient)) {
          route.options.connector_id = s->identity().connector_id;
        }
      }
      if (route.options.connector_id.empty()) {
        return absl::UnavailableError(
            "the connector this password was sealed to is not connected; seal to a "
            "connected connector's key (Admin.ListConnectors)");
      }
    }
    *route.request.mutable_authenticate() = *request;
    return Prepared{std::move(route), nullptr};
  };
  steps.take = [this, request, response, tenant_of_call](v1::CallResult& result) -> absl::Status {
    if (!result.has_authenticate()) {
      return absl::InternalError("the connector answered Authenticate with something else");
    }
    response->Swap(result.mutable_authenticate());
    if (response->result() != v1::AUTH_RESULT_OK) {
      throttle_->RecordFailure(*tenant_of_call, request->username());
    }
    return absl::OkStatus();
  };
  return RouteForTenant(context, auth_, router_, pool_, std::move(steps));
}

}  // namespace dirbridge::cloud
