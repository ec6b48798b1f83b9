#include "cloud_svc/api/deployment_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "cloud_svc/api/routed_unary.h"
#include "cloud_svc/jobs/user_record.h"
#include "common/secrets.h"

namespace dirbridge::cloud {
namespace {

constexpr absl::Duration kDefaultTtl = absl::Hours(24 * 30);

// Lower case without the spaces RFC 4514 allows around separators: enough
// to compare the DNs one server hands out.
std::string NormDn(absl::string_view dn) {
  std::string out;
  for (size_t i = 0; i < dn.size(); ++i) {
    char c = dn[i];
    if (c == ' ' && ((!out.empty() && (out.back() == ',' || out.back() == '=')) ||
                     (i + 1 < dn.size() && (dn[i + 1] == ',' || dn[i + 1] == '=')))) {
      continue;
    }
    out.push_back(absl::ascii_tolower(c));
  }
  return out;
}

bool Under(const std::string& dn, const std::string& base) {
  std::string d = NormDn(dn), b = NormDn(base);
  return d == b || absl::EndsWith(d, "," + b);
}

}  // namespace

bool InMapping(const MappingRecord& m, const v1::User& user) {
  bool placed = false;
  if (m.ou_dns.empty()) {
    placed = Under(user.dn(), m.base_dn);
  } else {
    for (const auto& ou : m.ou_dns) placed = placed || Under(user.dn(), ou);
  }
  if (!placed) return false;
  if (m.group_dns.empty()) return true;
  for (const auto& g : m.group_dns) {
    for (const auto& ug : user.groups()) {
      if (NormDn(g) == NormDn(ug)) return true;
    }
  }
  return false;
}

grpc::ServerUnaryReactor* DeploymentService::CreateDeploymentToken(
    grpc::CallbackServerContext* context, const v1::CreateDeploymentTokenRequest* request,
    v1::CreateDeploymentTokenResponse* response) {
  absl::StatusOr<std::string> tenant = auth_->Tenant(*context);
  if (!tenant.ok()) return FinishWith(context, tenant.status());
  absl::Status known = store_->GetMapping(*tenant, request->mapping_id()).status();
  if (!known.ok()) return FinishWith(context, known);
  absl::Duration ttl = request->has_ttl() ? FromProto(request->ttl()) : kDefaultTtl;
  if (ttl <= absl::ZeroDuration() || ttl > absl::Hours(24 * 365)) {
    return FinishWith(context, absl::InvalidArgumentError("ttl must be from 1s to 365 days"));
  }
  absl::StatusOr<std::string> token = NewSecretToken();
  if (!token.ok()) return FinishWith(context, token.status());
  DeploymentToken record{*tenant, request->mapping_id(), absl::Now() + ttl};
  absl::Status st = store_->CreateDeploymentToken(Sha256Hex(*token), record);
  if (!st.ok()) return FinishWith(context, st);
  response->set_token(*token);
  ToProto(record.expires_at, response->mutable_expires_at());
  return FinishWith(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* DeploymentService::Activate(grpc::CallbackServerContext* context,
                                                      const v1::ActivateRequest* request,
                                                      v1::ActivateResponse* response) {
  absl::StatusOr<std::string> tenant = auth_->Tenant(*context);
  if (!tenant.ok()) return FinishWith(context, tenant.status());
  const absl::Status refused =
      absl::PermissionDeniedError("deployment token is not valid (unknown or expired)");
  absl::StatusOr<DeploymentToken> token = request->token().empty()
                                              ? absl::NotFoundError("")
                                              : store_->GetDeploymentToken(Sha256Hex(request->token()));
  if (!token.ok()) {
    return FinishWith(context, absl::IsNotFound(token.status()) ? refused : token.status());
  }
  if (token->tenant_id != *tenant || token->expires_at <= absl::Now()) {
    return FinishWith(context, refused);
  }
  if (request->username().empty()) {
    return FinishWith(context, absl::InvalidArgumentError("username is required"));
  }
  if (request->device_name().empty() || request->device_name().size() > 200) {
    return FinishWith(context,
                      absl::InvalidArgumentError("device_name is required (at most 200 bytes)"));
  }
  absl::StatusOr<MappingRecord> mapping = store_->GetMapping(*tenant, token->mapping_id);
  if (!mapping.ok()) return FinishWith(context, refused);  // the mapping is gone
  v1::CallRequest call;
  call.mutable_get_user()->set_username(request->username());
  RouteOptions options;
  options.idempotent = true;
  std::string device = request->device_name();
  std::string tenant_id = *tenant;
  return RouteUnary(
      context, router_, *tenant, std::move(call), options,
      [this, response, m = *mapping, device, tenant_id](v1::CallResult& result) -> absl::Status {
        if (!result.has_get_user()) {
          return absl::InternalError("the connector answered GetUser with something else");
        }
        const v1::User& u = result.get_user();
        if (u.id().empty()) return absl::FailedPreconditionError("the directory user has no id");
        if (!InMapping(m, u)) {
          return absl::NotFoundError("the user is not in this deployment's mapping");
        }
        absl::StatusOr<Activation> a =
            store_->Activate(m, ToUserRecord(tenant_id, u, absl::Now()), device, absl::Now());
        if (!a.ok()) return a.status();
        response->set_user_id(a->user_id);
        response->set_user_created(a->user_created);
        response->set_device_id(a->device_id);
        return absl::OkStatus();
      });
}

}  // namespace dirbridge::cloud
