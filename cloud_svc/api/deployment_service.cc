#include "cloud_svc/api/deployment_service.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/dn.h"
#include "common/field_error.h"
#include "common/proto_time.h"
#include "cloud_svc/api/offload.h"
#include "cloud_svc/api/routed_unary.h"
#include "cloud_svc/api/username.h"
#include "cloud_svc/jobs/user_record.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

constexpr absl::Duration kDefaultTtl = absl::Hours(24 * 30);

}  // namespace

bool InMapping(const MappingRecord& m, const v1::User& user) {
  absl::StatusOr<dn::Dn> user_dn = dn::Parse(user.dn());
  if (!user_dn.ok() || user_dn->rdns.empty()) return false;
  auto under = [&](const std::string& base) {
    absl::StatusOr<dn::Dn> b = dn::Parse(base);
    return b.ok() && !b->rdns.empty() && dn::IsUnder(*user_dn, *b);
  };
  bool placed = false;
  if (m.ou_dns.empty()) {
    placed = under(m.base_dn);
  } else {
    for (const auto& ou : m.ou_dns) placed = placed || under(ou);
  }
  if (!placed) return false;
  if (m.group_dns.empty()) return true;
  for (const auto& g : m.group_dns) {
    absl::StatusOr<dn::Dn> group = dn::Parse(g);
    if (!group.ok()) continue;
    for (const auto& ug : user.groups()) {
      absl::StatusOr<dn::Dn> member_of = dn::Parse(ug);
      if (member_of.ok() && *member_of == *group) return true;
    }
  }
  return false;
}

grpc::ServerUnaryReactor* DeploymentService::CreateDeploymentToken(
    grpc::CallbackServerContext* context, const v1::CreateDeploymentTokenRequest* request,
    v1::CreateDeploymentTokenResponse* response) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    RETURN_IF_ERROR(store_->GetMapping(tenant, request->mapping_id()).status());
    absl::Duration ttl = request->has_ttl() ? FromProto(request->ttl()) : kDefaultTtl;
    if (ttl <= absl::ZeroDuration() || ttl > absl::Hours(24 * 365)) {
      return FieldError("ttl", "ttl must be from 1s to 365 days");
    }
    RETURN_IF_ERROR(CheckQuota(store_->CountLiveDeploymentTokens(tenant, absl::Now()),
                               quotas_.max_deployment_tokens, "unexpired deployment tokens",
                               "--max_deployment_tokens_per_tenant"));
    ASSIGN_OR_RETURN(std::string token, NewSecretToken());
    DeploymentToken record{tenant, request->mapping_id(), absl::Now() + ttl};
    RETURN_IF_ERROR(store_->CreateDeploymentToken(Sha256Hex(token), record));
    response->set_token(token);
    ToProto(record.expires_at, response->mutable_expires_at());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DeploymentService::Activate(grpc::CallbackServerContext* context,
                                                      const v1::ActivateRequest* request,
                                                      v1::ActivateResponse* response) {
  // The mapping the token is for: prepare finds it, take checks the user
  // against it and stores the activation.
  auto mapping = std::make_shared<MappingRecord>();
  RoutedSteps steps;
  steps.prepare_touches_store = true;
  steps.take_touches_store = true;
  steps.prepare = [this, request, mapping](
                      const std::string& tenant) -> absl::StatusOr<Prepared> {
    // Before the store or any routing: a username is input with a budget.
    RETURN_IF_ERROR(CheckUsername(request->username()));
    const absl::Status refused =
        absl::PermissionDeniedError("deployment token is not valid (unknown or expired)");
    absl::StatusOr<DeploymentToken> token =
        request->token().empty() ? absl::NotFoundError("")
                                 : store_->GetDeploymentToken(Sha256Hex(request->token()));
    if (!token.ok()) return absl::IsNotFound(token.status()) ? refused : token.status();
    if (token->tenant_id != tenant || token->expires_at <= absl::Now()) return refused;
    if (request->device_name().empty() || request->device_name().size() > 200) {
      return FieldError("device_name", "device_name is required (at most 200 bytes)");
    }
    absl::StatusOr<MappingRecord> m = store_->GetMapping(tenant, token->mapping_id);
    if (!m.ok()) return refused;  // the mapping is gone
    *mapping = *std::move(m);
    Route route{tenant, {}, {}};
    route.request.mutable_get_user()->set_username(request->username());
    // The connector adds the mapping's groups the user is in through
    // nested groups, as the import (SearchUsers) would find them.
    for (const std::string& g : mapping->group_dns) {
      route.request.mutable_get_user()->add_within_groups(g);
    }
    route.options.idempotent = true;
    return Prepared{std::move(route), nullptr};
  };
  steps.take = [this, request, response, mapping](v1::CallResult& result) -> absl::Status {
    if (!result.has_get_user()) {
      return absl::InternalError("the connector answered GetUser with something else");
    }
    const v1::User& u = result.get_user();
    if (u.id().empty()) return absl::FailedPreconditionError("the directory user has no id");
    if (!InMapping(*mapping, u)) {
      return absl::NotFoundError("the user is not in this deployment's mapping");
    }
    // Checked where the device is made, just before: see CheckQuota on
    // the overshoot racing activations may cause.
    RETURN_IF_ERROR(CheckQuota(store_->CountDevices(mapping->tenant_id), quotas_.max_devices,
                               "devices", "--max_devices_per_tenant"));
    ASSIGN_OR_RETURN(Activation a,
                     store_->Activate(*mapping, ToUserRecord(mapping->tenant_id, u, absl::Now()),
                                      request->device_name(), absl::Now()));
    response->set_user_id(a.user_id);
    response->set_user_created(a.user_created);
    response->set_device_id(a.device_id);
    return absl::OkStatus();
  };
  return RouteForTenant(context, auth_, router_, pool_, std::move(steps));
}

}  // namespace dirbridge::cloud
