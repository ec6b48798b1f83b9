#include "cloud_svc/api/mappings_service.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "cloud_svc/api/offload.h"
#include "common/grpc_status.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

// A cheap check; the connector, which speaks LDAP, checks DNs properly.
absl::Status CheckDn(const std::string& dn, const std::string& what) {
  if (dn.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  if (dn.size() > 4096 || dn.find('=') == std::string::npos || dn.find('\n') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, " \"", dn, "\" is not a DN"));
  }
  return absl::OkStatus();
}

}  // namespace

void MappingToProto(const MappingRecord& m, v1::Mapping* out) {
  out->set_mapping_id(m.mapping_id);
  out->set_name(m.name);
  out->set_base_dn(m.base_dn);
  for (const auto& o : m.ou_dns) out->add_ou_dns(o);
  for (const auto& g : m.group_dns) out->add_group_dns(g);
  out->mutable_sync_interval()->set_seconds(absl::ToInt64Seconds(m.sync_interval));
  out->set_priority(m.priority);
  ToProto(m.created_at, out->mutable_created_at());
}

grpc::ServerUnaryReactor* MappingsService::CreateMapping(grpc::CallbackServerContext* context,
                                                         const v1::CreateMappingRequest* request,
                                                         v1::Mapping* response) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    return DoCreateMapping(tenant, *request, response);
  });
}

absl::Status MappingsService::DoCreateMapping(const std::string& tenant,
                                              const v1::CreateMappingRequest& r,
                                              v1::Mapping* response) {
  if (r.name().empty() || r.name().size() > 200) {
    return absl::InvalidArgumentError("name is required (at most 200 bytes)");
  }
  RETURN_IF_ERROR(CheckDn(r.base_dn(), "base_dn"));
  for (const auto& o : r.ou_dns()) RETURN_IF_ERROR(CheckDn(o, "ou_dns entry"));
  for (const auto& g : r.group_dns()) RETURN_IF_ERROR(CheckDn(g, "group_dns entry"));
  MappingRecord m;
  m.tenant_id = tenant;
  m.mapping_id = NewId();
  m.name = r.name();
  m.base_dn = r.base_dn();
  m.ou_dns.assign(r.ou_dns().begin(), r.ou_dns().end());
  m.group_dns.assign(r.group_dns().begin(), r.group_dns().end());
  m.sync_interval = r.has_sync_interval() ? FromProto(r.sync_interval()) : absl::Hours(24);
  if (m.sync_interval < absl::Seconds(1) || m.sync_interval > absl::Hours(24 * 365)) {
    return absl::InvalidArgumentError("sync_interval must be from 1s to 365 days");
  }
  m.created_at = absl::Now();
  m.next_run_at = m.created_at + m.sync_interval;
  RETURN_IF_ERROR(CheckQuota(store_->CountMappings(tenant), quotas_.max_mappings, "mappings",
                             "--max_mappings_per_tenant"));
  ASSIGN_OR_RETURN(MappingRecord stored, store_->CreateMapping(std::move(m)));
  MappingToProto(stored, response);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* MappingsService::ListMappings(grpc::CallbackServerContext* context,
                                                        const v1::ListMappingsRequest*,
                                                        v1::ListMappingsResponse* response) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    ASSIGN_OR_RETURN(std::vector<MappingRecord> all, store_->ListMappings(tenant));
    for (const MappingRecord& m : all) MappingToProto(m, response->add_mappings());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MappingsService::ImportUsers(grpc::CallbackServerContext* context,
                                                       const v1::ImportUsersRequest* request,
                                                       v1::ImportReport* response) {
  // The mapping is read on the store pool; the import then runs on the
  // shared import pool, within the tenant's share of it. It goes on even
  // if the caller hangs up (it ends by its own limits at the latest: a
  // half-read directory changes no user's state anyway), and the call
  // ends when it does: the default reactor keeps request and response
  // until Finish.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::string authorization = Authenticator::Authorization(*context);
  bool queued = pool_->TrySchedule([=, this, authorization = std::move(authorization)] {
    absl::StatusOr<std::string> tenant = auth_->Tenant(authorization);
    absl::StatusOr<MappingRecord> m =
        tenant.ok() ? store_->GetMapping(*tenant, request->mapping_id()) : tenant.status();
    if (!m.ok()) {
      reactor->Finish(ToGrpcStatus(m.status()));
      return;
    }
    bool incremental = request->incremental();
    // Not `this`: a queued import may run while the process stops, after
    // this service is gone (the pool drains last).
    Importer* importer = importer_;
    absl::Status submitted = imports_->Submit(*tenant, [=, m = *m] {
      absl::StatusOr<v1::ImportReport> report = importer->Run(m, incremental);
      if (report.ok()) *response = *std::move(report);
      reactor->Finish(ToGrpcStatus(report.status()));
    });
    if (!submitted.ok()) reactor->Finish(ToGrpcStatus(submitted));
  });
  if (!queued) {
    reactor->Finish(ToGrpcStatus(QueueFullError(*pool_, "cloud_svc")));
  }
  return reactor;
}

grpc::ServerUnaryReactor* MappingsService::ResolveHeldImport(
    grpc::CallbackServerContext* context, const v1::ResolveHeldImportRequest* request,
    v1::ImportReport* response) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    ASSIGN_OR_RETURN(MappingRecord m, store_->GetMapping(tenant, request->mapping_id()));
    ASSIGN_OR_RETURN(*response, importer_->ResolveHeld(m, request->confirm()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MappingsService::ListUsers(grpc::CallbackServerContext* context,
                                                     const v1::ListUsersRequest* request,
                                                     v1::ListUsersResponse* response) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    return DoListUsers(tenant, *request, response);
  });
}

absl::Status MappingsService::DoListUsers(const std::string& tenant,
                                          const v1::ListUsersRequest& r,
                                          v1::ListUsersResponse* response) {
  RETURN_IF_ERROR(store_->GetMapping(tenant, r.mapping_id()).status());
  int limit = r.page_size() == 0 ? 100 : static_cast<int>(r.page_size());
  if (limit < 1 || limit > 1000) {
    return absl::InvalidArgumentError("page_size must be from 1 to 1000 (0: 100)");
  }
  std::string after;
  if (!r.page_token().empty() && !absl::WebSafeBase64Unescape(r.page_token(), &after)) {
    return absl::InvalidArgumentError("page_token is not one this service gave out");
  }
  ASSIGN_OR_RETURN(std::vector<UserRecord> users,
                   store_->ListUsers(tenant, r.mapping_id(), after, limit + 1));
  bool more = static_cast<int>(users.size()) > limit;
  if (more) users.pop_back();
  for (const UserRecord& u : users) {
    v1::CloudUser* c = response->add_users();
    c->set_user_id(u.user_id);
    c->set_dn(u.dn);
    c->set_id(u.directory_id);
    c->set_username(u.username);
    c->set_user_principal_name(u.user_principal_name);
    c->set_email(u.email);
    c->set_display_name(u.display_name);
    for (const auto& g : u.groups) c->add_groups(g);
    c->set_disabled(u.disabled);
    c->set_state(u.state == UserState::kActive ? v1::USER_STATE_ACTIVE
                                               : v1::USER_STATE_NOT_IN_DIRECTORY);
    ToProto(u.imported_at, c->mutable_imported_at());
  }
  if (more) response->set_next_page_token(absl::WebSafeBase64Escape(users.back().user_id));
  return absl::OkStatus();
}

}  // namespace dirbridge::cloud
