#include "cloud_svc/api/mappings_service.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloud_svc/api/offload.h"
#include "common/field_error.h"
#include "common/grpc_status.h"
#include "common/page_size.h"
#include "common/proto_time.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

constexpr int kDefaultUserPage = 100;
constexpr int kMaxUserPage = 1000;

// The connector answers GetUserRequest.within_groups of at most as many.
constexpr size_t kMaxMappingDns = 64;

// A cheap check; the connector, which speaks LDAP, checks DNs properly.
absl::Status CheckDn(const std::string& dn, const std::string& field, const std::string& what) {
  if (dn.empty()) return FieldError(field, absl::StrCat(what, " is required"));
  if (dn.size() > 4096 || dn.find('=') == std::string::npos || dn.find('\n') != std::string::npos) {
    return FieldError(field, absl::StrCat(what, " \"", dn.substr(0, 256), "\" is not a DN"));
  }
  return absl::OkStatus();
}

// What CreateMapping and UpdateMapping both check of a mapping's
// definition; `prefix` is where its fields sit in the request ("" or
// "mapping.").
absl::Status CheckDefinition(const MappingRecord& m, const std::string& prefix) {
  if (m.name.empty() || m.name.size() > 200) {
    return FieldError(prefix + "name", "name is required (at most 200 bytes)");
  }
  RETURN_IF_ERROR(CheckDn(m.base_dn, prefix + "base_dn", "base_dn"));
  // Each costs a search (a group walk, too) on every import, and Activate
  // asks the connector about every group (GetUserRequest.within_groups).
  if (m.ou_dns.size() > kMaxMappingDns || m.group_dns.size() > kMaxMappingDns) {
    return FieldError(prefix + (m.ou_dns.size() > kMaxMappingDns ? "ou_dns" : "group_dns"),
                      absl::StrCat("a mapping lists at most ", kMaxMappingDns,
                                   " OUs and ", kMaxMappingDns, " groups"));
  }
  for (const auto& o : m.ou_dns) RETURN_IF_ERROR(CheckDn(o, prefix + "ou_dns", "ou_dns entry"));
  for (const auto& g : m.group_dns) {
    RETURN_IF_ERROR(CheckDn(g, prefix + "group_dns", "group_dns entry"));
  }
  if (m.sync_interval < absl::Seconds(1) || m.sync_interval > absl::Hours(24 * 365)) {
    return FieldError(prefix + "sync_interval", "sync_interval must be from 1s to 365 days");
  }
  return absl::OkStatus();
}

absl::Duration SyncInterval(bool has, const google::protobuf::Duration& d) {
  return has ? FromProto(d) : absl::Hours(24);
}

// The fields UpdateMapping can change, as update_mask paths.
constexpr absl::string_view kUpdatable[] = {"name", "base_dn", "ou_dns", "group_dns",
                                            "sync_interval"};
// update_mask is the caller's: a bounded number of paths is read.
constexpr int kMaxMaskPaths = 16;

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
  MappingRecord m;
  m.tenant_id = tenant;
  m.mapping_id = NewId();
  m.name = r.name();
  m.base_dn = r.base_dn();
  m.ou_dns.assign(r.ou_dns().begin(), r.ou_dns().end());
  m.group_dns.assign(r.group_dns().begin(), r.group_dns().end());
  m.sync_interval = SyncInterval(r.has_sync_interval(), r.sync_interval());
  RETURN_IF_ERROR(CheckDefinition(m, ""));
  m.created_at = absl::Now();
  m.next_run_at = m.created_at + m.sync_interval;
  RETURN_IF_ERROR(CheckQuota(store_->CountMappings(tenant), quotas_.max_mappings, "mappings",
                             "--max_mappings_per_tenant"));
  ASSIGN_OR_RETURN(MappingRecord stored, store_->CreateMapping(std::move(m)));
  MappingToProto(stored, response);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* MappingsService::UpdateMapping(grpc::CallbackServerContext* context,
                                                         const v1::UpdateMappingRequest* request,
                                                         v1::Mapping* response) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    return DoUpdateMapping(tenant, *request, response);
  });
}

absl::Status MappingsService::DoUpdateMapping(const std::string& tenant,
                                              const v1::UpdateMappingRequest& r,
                                              v1::Mapping* response) {
  const v1::Mapping& in = r.mapping();
  if (in.mapping_id().empty()) {
    return FieldError("mapping.mapping_id", "mapping.mapping_id is required");
  }
  const auto& paths = r.update_mask().paths();
  if (paths.empty() || paths.size() > kMaxMaskPaths) {
    return FieldError("update_mask",
                      absl::StrCat("update_mask must name from 1 to ", kMaxMaskPaths,
                                   " fields to change, of: ", absl::StrJoin(kUpdatable, ", ")));
  }
  std::vector<std::string> unknown;
  for (const std::string& p : paths) {
    if (std::find(std::begin(kUpdatable), std::end(kUpdatable), p) == std::end(kUpdatable)) {
      unknown.push_back(absl::StrCat("\"", absl::CEscape(p.substr(0, 64)), "\""));
    }
  }
  if (!unknown.empty()) {
    return FieldError("update_mask",
                      absl::StrCat("update_mask names fields UpdateMapping cannot change: ",
                                   absl::StrJoin(unknown, ", "), "; it can change ",
                                   absl::StrJoin(kUpdatable, ", ")));
  }
  ASSIGN_OR_RETURN(MappingRecord m, store_->GetMapping(tenant, in.mapping_id()));
  const MappingRecord before = m;
  for (const std::string& p : paths) {
    if (p == "name") m.name = in.name();
    if (p == "base_dn") m.base_dn = in.base_dn();
    if (p == "ou_dns") m.ou_dns.assign(in.ou_dns().begin(), in.ou_dns().end());
    if (p == "group_dns") m.group_dns.assign(in.group_dns().begin(), in.group_dns().end());
    if (p == "sync_interval") {
      m.sync_interval = SyncInterval(in.has_sync_interval(), in.sync_interval());
    }
  }
  RETURN_IF_ERROR(CheckDefinition(m, "mapping."));
  if (m.base_dn != before.base_dn || m.ou_dns != before.ou_dns ||
      m.group_dns != before.group_dns) {
    // Changes since a watermark say nothing of entries that came into the
    // new scope unchanged: the next run reads it all (and finds who left).
    m.watermark.clear();
    m.watermark_server.clear();
  }
  if (m.sync_interval != before.sync_interval) m.next_run_at = absl::Now() + m.sync_interval;
  ASSIGN_OR_RETURN(MappingRecord stored, store_->UpdateMapping(m));
  MappingToProto(stored, response);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* MappingsService::DeleteMapping(grpc::CallbackServerContext* context,
                                                         const v1::DeleteMappingRequest* request,
                                                         v1::DeleteMappingResponse* response) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    return DoDeleteMapping(tenant, *request, response);
  });
}

absl::Status MappingsService::DoDeleteMapping(const std::string& tenant,
                                              const v1::DeleteMappingRequest& r,
                                              v1::DeleteMappingResponse* response) {
  if (r.mapping_id().empty()) return FieldError("mapping_id", "mapping_id is required");
  absl::Time now = absl::Now();
  ASSIGN_OR_RETURN(uint64_t unmapped, store_->DeleteMapping(tenant, r.mapping_id(), now));
  // Its alerts speak of an import that can no longer run.
  for (AlertKind kind : {AlertKind::kImportFailed, AlertKind::kImportHeld}) {
    store_->ClearAlerts(tenant, kind, "", r.mapping_id(), now).IgnoreError();
  }
  response->set_users_unmapped(unmapped);
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
  ASSIGN_OR_RETURN(int limit, PageSize(r.page_size(), kDefaultUserPage, kMaxUserPage));
  std::string after;
  if (!r.page_token().empty() && !absl::WebSafeBase64Unescape(r.page_token(), &after)) {
    return FieldError("page_token", "page_token is not one this service gave out");
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
