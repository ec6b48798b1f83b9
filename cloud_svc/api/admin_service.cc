#include "cloud_svc/api/admin_service.h"

#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/field_error.h"
#include "common/proto_time.h"
#include "cloud_svc/api/offload.h"
#include "cloud_svc/api/routed_unary.h"
#include "common/log.h"
#include "common/secrets.h"
#include "common/page_size.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

constexpr size_t kMaxNameBytes = 200;
constexpr int kDefaultAlertPage = 100;
constexpr int kMaxAlertPage = 1000;

absl::Status CheckName(absl::string_view what, absl::string_view name) {
  if (name.empty()) return FieldError("name", absl::StrCat(what, " name is required"));
  if (name.size() > kMaxNameBytes) {
    return FieldError("name",
        absl::StrCat(what, " name is longer than ", kMaxNameBytes, " bytes"));
  }
  return absl::OkStatus();
}

v1::AlertKind AlertKindToProto(AlertKind kind) {
  switch (kind) {
    case AlertKind::kConnectorNotConnected:
      return v1::ALERT_KIND_CONNECTOR_NOT_CONNECTED;
    case AlertKind::kImportFailed:
      return v1::ALERT_KIND_IMPORT_FAILED;
    case AlertKind::kImportHeld:
      return v1::ALERT_KIND_IMPORT_HELD;
  }
  return v1::ALERT_KIND_UNSPECIFIED;
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::CreateTenant(
    grpc::CallbackServerContext* context, const v1::CreateTenantRequest* request,
    v1::CreateTenantResponse* response) {
  return Offload(context, pool_, "cloud_svc",
                 [=, this] { return DoCreateTenant(context, *request, response); });
}

absl::Status AdminService::DoCreateTenant(grpc::CallbackServerContext* context,
                                          const v1::CreateTenantRequest& request,
                                          v1::CreateTenantResponse* response) {
  RETURN_IF_ERROR(auth_->Operator(Authenticator::Authorization(*context)));
  RETURN_IF_ERROR(CheckName("tenant", request.name()));
  ASSIGN_OR_RETURN(std::string token, NewSecretToken());
  TenantRecord t{NewId(), request.name(), absl::Now()};
  RETURN_IF_ERROR(store_->CreateTenant(t, Sha256Hex(token)));
  spdlog::info("event=tenant_created tenant={}", t.tenant_id);
  response->set_tenant_id(t.tenant_id);
  response->set_token(std::move(token));
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AdminService::CreateConnector(
    grpc::CallbackServerContext* context,
    const v1::CreateConnectorRequest* request, v1::Connector* response) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    return DoCreateConnector(tenant, *request, response);
  });
}

absl::Status AdminService::DoCreateConnector(
    const std::string& tenant, const v1::CreateConnectorRequest& request,
    v1::Connector* response) {
  RETURN_IF_ERROR(CheckName("connector", request.name()));
  RETURN_IF_ERROR(CheckQuota(store_->CountConnectors(tenant), quotas_.max_connectors,
                             "connectors", "--max_connectors_per_tenant"));
  ConnectorRecord c;
  c.tenant_id = tenant;
  c.connector_id = NewId();
  c.name = request.name();
  c.created_at = absl::Now();
  RETURN_IF_ERROR(store_->CreateConnector(c));
  FillConnector(c, response);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AdminService::GetRegistrationKey(
    grpc::CallbackServerContext* context,
    const v1::GetRegistrationKeyRequest* request,
    v1::GetRegistrationKeyResponse* response) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    if (request->connector_id().empty()) {
      return FieldError("connector_id", "connector_id is required");
    }
    ASSIGN_OR_RETURN(IssuedKey key, registrar_->IssueKey(tenant, request->connector_id(),
                                                         FromProto(request->ttl())));
    response->set_registration_key(key.key);
    ToProto(key.expires_at, response->mutable_expires_at());
    response->set_ca_sha256(registrar_->ca_sha256());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::ListConnectors(
    grpc::CallbackServerContext* context, const v1::ListConnectorsRequest*,
    v1::ListConnectorsResponse* response) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    return DoListConnectors(tenant, response);
  });
}

absl::Status AdminService::DoListConnectors(const std::string& tenant,
                                            v1::ListConnectorsResponse* response) {
  ASSIGN_OR_RETURN(std::vector<ConnectorRecord> all, store_->ListConnectors(tenant));
  for (const ConnectorRecord& c : all) FillConnector(c, response->add_connectors());
  return absl::OkStatus();
}

void AdminService::FillConnector(const ConnectorRecord& c, v1::Connector* out) const {
  out->set_connector_id(c.connector_id);
  out->set_name(c.name);
  ToProto(c.created_at, out->mutable_created_at());
  out->set_version(c.version);
  out->set_hostname(c.hostname);
  out->set_ldap_ok(c.ldap_ok);
  out->set_password_public_key(c.password_public_key);
  out->set_protocol_revision(c.protocol_revision);
  std::shared_ptr<Session> live = registry_->Find(c.connector_id);
  // A closing session counts until the registry forgets it, which comes
  // after its Not Connected alert: whoever sees the status flip finds the
  // alert too.
  if (live && live->identity().tenant_id == c.tenant_id && live->WasReady()) {
    // What the live session said is newer than the store's copy, which
    // the presence thread writes a moment later.
    const v1::Hello& hello = live->hello();
    out->set_status(v1::CONNECTOR_STATUS_CONNECTED);
    ToProto(live->last_frame(), out->mutable_last_seen());
    out->set_ldap_ok(live->ldap_ok());
    out->set_version(hello.version());
    out->set_hostname(hello.hostname());
    out->set_password_public_key(hello.password_public_key());
    out->set_protocol_revision(live->revision());
    return;
  }
  if (router_->HeldElsewhere(c.tenant_id, c.connector_id)) {
    // Another replica holds it: Connected, with what it said on connecting.
    out->set_status(v1::CONNECTOR_STATUS_CONNECTED);
    if (c.last_seen) ToProto(*c.last_seen, out->mutable_last_seen());
    return;
  }
  if (c.last_seen) {
    out->set_status(v1::CONNECTOR_STATUS_NOT_CONNECTED);
    ToProto(*c.last_seen, out->mutable_last_seen());
  } else {
    out->set_status(v1::CONNECTOR_STATUS_NEVER_CONNECTED);
  }
}

grpc::ServerUnaryReactor* AdminService::DeleteConnector(
    grpc::CallbackServerContext* context,
    const v1::DeleteConnectorRequest* request, v1::DeleteConnectorResponse*) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    return DoDeleteConnector(tenant, request->connector_id());
  });
}

absl::Status AdminService::DoDeleteConnector(const std::string& tenant,
                                             const std::string& connector_id) {
  if (connector_id.empty()) return FieldError("connector_id", "connector_id is required");
  RETURN_IF_ERROR(store_->DeleteConnector(tenant, connector_id));
  // Every stream of it ends now, including ones that have not said Hello.
  registry_->Revoke(tenant, connector_id, absl::PermissionDeniedError("the connector was deleted"));
  RETURN_IF_ERROR(store_->ClearAlerts(tenant, AlertKind::kConnectorNotConnected,
                                      connector_id, "", absl::Now()));
  spdlog::info("event=connector_deleted tenant={} connector={}", tenant, connector_id);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AdminService::ListAlerts(
    grpc::CallbackServerContext* context, const v1::ListAlertsRequest* request,
    v1::ListAlertsResponse* response) {
  return OffloadForTenant(context, auth_, pool_, [=, this](const std::string& tenant) {
    return DoListAlerts(tenant, *request, response);
  });
}

absl::Status AdminService::DoListAlerts(const std::string& tenant,
                                        const v1::ListAlertsRequest& request,
                                        v1::ListAlertsResponse* response) {
  ASSIGN_OR_RETURN(int limit, PageSize(request.page_size(), kDefaultAlertPage, kMaxAlertPage));
  // The token is the last alert of the previous page: its time and id.
  std::optional<AlertRecord> after;
  if (!request.page_token().empty()) {
    std::string raw;
    int64_t raised_us = 0;
    std::pair<std::string, std::string> parts;
    if (absl::WebSafeBase64Unescape(request.page_token(), &raw)) {
      parts = absl::StrSplit(raw, absl::MaxSplits(':', 1));
    }
    if (parts.second.empty() || !absl::SimpleAtoi(parts.first, &raised_us)) {
      return FieldError("page_token", "page_token is not one this service gave out");
    }
    after.emplace();
    after->raised_at = absl::FromUnixMicros(raised_us);
    after->alert_id = parts.second;
  }
  ASSIGN_OR_RETURN(std::vector<AlertRecord> all,
                   store_->ListAlertsPage(tenant, request.active_only(),
                                          after ? &*after : nullptr, limit + 1));
  bool more = static_cast<int>(all.size()) > limit;
  if (more) all.pop_back();
  if (more) {
    response->set_next_page_token(absl::WebSafeBase64Escape(absl::StrCat(
        absl::ToUnixMicros(all.back().raised_at), ":", all.back().alert_id)));
  }
  for (const AlertRecord& a : all) {
    v1::Alert* out = response->add_alerts();
    out->set_alert_id(a.alert_id);
    out->set_kind(AlertKindToProto(a.kind));
    out->set_connector_id(a.connector_id);
    out->set_mapping_id(a.mapping_id);
    ToProto(a.raised_at, out->mutable_raised_at());
    if (a.cleared_at) ToProto(*a.cleared_at, out->mutable_cleared_at());
    out->set_message(a.message);
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AdminService::PingConnector(
    grpc::CallbackServerContext* context, const v1::PingConnectorRequest* request,
    v1::PingConnectorResponse* response) {
  RoutedSteps steps;
  // Naming a connector means checking that it is the tenant's: a store read.
  steps.prepare_touches_store = !request->connector_id().empty();
  steps.prepare = [this, request](const std::string& tenant) -> absl::StatusOr<Prepared> {
    if (request->payload().size() > 64 * 1024) {
      return FieldError("payload", "payload is over 64 KiB");
    }
    if (!request->connector_id().empty()) {
      // Another tenant's connector, or none: the same NOT_FOUND.
      RETURN_IF_ERROR(store_->GetConnector(tenant, request->connector_id()).status());
    }
    Route route{tenant, {}, {}};
    route.request.mutable_echo()->set_payload(request->payload());
    route.options.connector_id = request->connector_id();
    route.options.idempotent = true;
    return Prepared{std::move(route), nullptr};
  };
  steps.take = [response](v1::CallResult& result) -> absl::Status {
    if (!result.has_echo()) {
      return absl::InternalError("connector answered a ping with something else");
    }
    response->set_payload(std::move(*result.mutable_echo()->mutable_payload()));
    response->set_connector_id(result.echo().connector_id());
    return absl::OkStatus();
  };
  return RouteForTenant(context, auth_, router_, pool_, std::move(steps));
}

}  // namespace dirbridge::cloud
