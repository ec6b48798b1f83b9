#include "cloud_svc/api/auth_service.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cloud_svc/api/routed_unary.h"
#include "cloud_svc/api/username.h"
#include "common/crypto.h"
#include "common/field_error.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

absl::Status Throttled() {
  return absl::ResourceExhaustedError("too many failed logins for this user or tenant; try later");
}

}  // namespace

absl::Status AuthService::CheckPassword(const std::string& tenant, const std::string& clear,
                                        const std::string& sealed, const std::string& field,
                                        std::string* connector_id) const {
  const std::string sealed_field = absl::StrCat("sealed_", field);
  if (sealed.empty()) {
    // An empty simple bind is an unauthenticated bind that many LDAP
    // servers accept: it never leaves the cloud. (A sealed one is checked
    // by the connector, the only place it opens.)
    if (absl::StripAsciiWhitespace(clear).empty()) {
      return FieldError(field, absl::StrCat(field, " is empty"));
    }
    if (clear.size() > kMaxPasswordBytes) {
      return FieldError(field, absl::StrCat(field, " is ", clear.size(),
                                            " bytes, more than the cloud's limit of ",
                                            kMaxPasswordBytes, " (kMaxPasswordBytes)"));
    }
    return absl::OkStatus();
  }
  if (!clear.empty()) {
    return FieldError(field, absl::StrCat("send ", field, " or ", sealed_field, ", not both"));
  }
  if (sealed.size() > kMaxSealedPasswordBytes) {
    return FieldError(sealed_field, absl::StrCat(sealed_field, " is ", sealed.size(),
                                                 " bytes, more than the cloud's limit of ",
                                                 kMaxSealedPasswordBytes));
  }
  // The box names the connector key it was sealed to: only that connector
  // can open it.
  absl::StatusOr<std::string> recipient = crypto::SealedRecipient(sealed);
  if (!recipient.ok()) {
    return FieldError(sealed_field, absl::StrCat(sealed_field, " is not a sealed box"));
  }
  std::string found;
  for (const auto& s : registry_->Live(tenant)) {
    if (SecureEquals(s->hello().password_public_key(), *recipient)) {
      found = s->identity().connector_id;
    }
  }
  if (found.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "the connector ", sealed_field, " was sealed to is not connected; seal to a connected "
        "connector's key (Admin.ListConnectors)"));
  }
  if (!connector_id->empty() && *connector_id != found) {
    return FieldError(sealed_field, "both passwords must be sealed to the same connector's key");
  }
  *connector_id = found;
  return absl::OkStatus();
}

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
    RETURN_IF_ERROR(CheckUsername(request->username()));
    Route route{tenant, {}, {}};
    // Checked before the throttle: a malformed request says so even to a
    // throttled caller, and never reaches a connector.
    if (request->sealed_password().empty()) {
      RETURN_IF_ERROR(CheckPassword(tenant, request->password(), "", "password",
                                    &route.options.connector_id));
    } else if (!request->password().empty()) {
      return FieldError("password", "send password or sealed_password, not both");
    }
    if (!throttle_->Allow(tenant, request->username())) return Throttled();
    if (!request->sealed_password().empty()) {
      RETURN_IF_ERROR(CheckPassword(tenant, "", request->sealed_password(), "password",
                                    &route.options.connector_id));
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

grpc::ServerUnaryReactor* AuthService::ChangePassword(grpc::CallbackServerContext* context,
                                                      const v1::ChangePasswordRequest* request,
                                                      v1::ChangePasswordResponse* response) {
  auto tenant_of_call = std::make_shared<std::string>();
  RoutedSteps steps;
  steps.prepare = [this, request, tenant_of_call](
                      const std::string& tenant) -> absl::StatusOr<Prepared> {
    *tenant_of_call = tenant;
    RETURN_IF_ERROR(CheckUsername(request->username()));
    // One bucket with Authenticate's: a guesser gains no tries by asking
    // ChangePassword instead.
    if (!throttle_->Allow(tenant, request->username())) return Throttled();
    Route route{tenant, {}, {}};
    RETURN_IF_ERROR(CheckPassword(tenant, request->old_password(), request->sealed_old_password(),
                                  "old_password", &route.options.connector_id));
    RETURN_IF_ERROR(CheckPassword(tenant, request->new_password(), request->sealed_new_password(),
                                  "new_password", &route.options.connector_id));
    *route.request.mutable_change_password() = *request;
    return Prepared{std::move(route), nullptr};
  };
  steps.take = [this, request, response, tenant_of_call](v1::CallResult& result) -> absl::Status {
    if (!result.has_change_password()) {
      return absl::InternalError("the connector answered ChangePassword with something else");
    }
    response->Swap(result.mutable_change_password());
    // A rejected new password was checked with the right old one: no guess.
    v1::AuthResult r = response->result();
    if (r != v1::AUTH_RESULT_OK && r != v1::AUTH_RESULT_PASSWORD_REJECTED) {
      throttle_->RecordFailure(*tenant_of_call, request->username());
    }
    return absl::OkStatus();
  };
  return RouteForTenant(context, auth_, router_, pool_, std::move(steps));
}

}  // namespace dirbridge::cloud
