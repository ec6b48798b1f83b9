#include "cloud_svc/api/keys_service.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "cloud_svc/api/routed_unary.h"
#include "common/secrets.h"
#include "common/field_error.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

absl::Status CheckUserId(const std::string& user_id) {
  if (user_id.empty()) return FieldError("user_id", "user_id is required");
  if (user_id.size() > 256) return FieldError("user_id", "user_id is over 256 bytes");
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* KeysService::ProvisionEkey(grpc::CallbackServerContext* context,
                                                     const v1::ProvisionEkeyRequest* request,
                                                     v1::ProvisionEkeyResponse* response) {
  // The record the connector's wrapped ekey completes; prepare makes it,
  // take stores it.
  auto record = std::make_shared<EkeyRecord>();
  RoutedSteps steps;
  steps.prepare_touches_store = true;
  steps.take_touches_store = true;
  steps.prepare = [this, request, response, record](
                      const std::string& tenant) -> absl::StatusOr<Prepared> {
    RETURN_IF_ERROR(CheckUserId(request->user_id()));
    if (!request->rotate()) {
      absl::StatusOr<EkeyRecord> existing = store_->CurrentEkey(tenant, request->user_id());
      if (existing.ok()) {
        return Prepared{std::nullopt, [response, id = existing->key_id] {
                          response->set_key_id(id);
                        }};
      }
      if (!absl::IsNotFound(existing.status())) return existing.status();
    }
    record->tenant_id = tenant;
    record->user_id = request->user_id();
    record->key_id = NewId();
    Route route{tenant, {}, {}};
    v1::WrapNewEkeyRequest* wrap = route.request.mutable_wrap_new_ekey();
    wrap->set_tenant_id(record->tenant_id);
    wrap->set_user_id(record->user_id);
    wrap->set_key_id(record->key_id);
    route.options.idempotent = true;  // a key made and dropped is never stored: safe to ask again
    return Prepared{std::move(route), nullptr};
  };
  steps.take = [this, request, response, record](v1::CallResult& result) -> absl::Status {
    if (!result.has_wrap_new_ekey() || result.wrap_new_ekey().wrapped_ekey().empty()) {
      return absl::InternalError("the connector sent no wrapped ekey");
    }
    record->wrapped = result.wrap_new_ekey().wrapped_ekey();
    record->kek_version = result.wrap_new_ekey().kek_version();
    record->created_at = absl::Now();
    ASSIGN_OR_RETURN(EkeyRecord stored, store_->PutEkey(*record, request->rotate()));
    response->set_key_id(stored.key_id);
    return absl::OkStatus();
  };
  return RouteForTenant(context, auth_, router_, pool_, std::move(steps));
}

grpc::ServerUnaryReactor* KeysService::GetEkeys(grpc::CallbackServerContext* context,
                                                const v1::GetEkeysRequest* request,
                                                v1::GetEkeysResponse* response) {
  auto ids = std::make_shared<std::vector<std::string>>();
  RoutedSteps steps;
  steps.prepare_touches_store = true;
  steps.prepare = [this, request, ids](const std::string& tenant) -> absl::StatusOr<Prepared> {
    if (request->recipient_public_key().size() != 32) {
      return FieldError("recipient_public_key",
          absl::StrCat("recipient_public_key must be a raw 32-byte X25519 key, not ",
                       request->recipient_public_key().size(), " bytes"));
    }
    if (request->user_ids_size() == 0 || request->user_ids_size() > kMaxBatch) {
      return FieldError("user_ids", absl::StrCat("user_ids must list 1 to ", kMaxBatch, " users"));
    }
    ids->assign(request->user_ids().begin(), request->user_ids().end());
    absl::flat_hash_set<std::string> seen;
    for (const std::string& id : *ids) {
      RETURN_IF_ERROR(CheckUserId(id));
      if (!seen.insert(id).second) {
        return FieldError("user_ids", absl::StrCat("user_id \"", id, "\" is listed twice"));
      }
    }
    ASSIGN_OR_RETURN(std::vector<EkeyRecord> found, store_->CurrentEkeys(tenant, *ids));
    absl::flat_hash_map<std::string, EkeyRecord*> by_user;
    for (EkeyRecord& e : found) by_user[e.user_id] = &e;
    Route route{tenant, {}, {}};
    v1::SealEkeysRequest* seal = route.request.mutable_seal_ekeys();
    seal->set_tenant_id(tenant);
    seal->set_recipient_public_key(request->recipient_public_key());
    for (const std::string& id : *ids) {
      auto it = by_user.find(id);
      // All or nothing: a batch with a hole is not a batch.
      if (it == by_user.end()) {
        return absl::NotFoundError(
            absl::StrCat("user \"", id, "\" has no ekey; call ProvisionEkey first"));
      }
      v1::WrappedEkey* w = seal->add_ekeys();
      w->set_user_id(id);
      w->set_key_id(it->second->key_id);
      w->set_wrapped_ekey(std::move(it->second->wrapped));
    }
    route.options.idempotent = true;
    return Prepared{std::move(route), nullptr};
  };
  steps.take = [response, ids](v1::CallResult& result) -> absl::Status {
    if (!result.has_seal_ekeys()) return absl::InternalError("the connector sent no sealed ekeys");
    const auto& got = result.seal_ekeys().ekeys();
    if (got.size() != static_cast<int>(ids->size())) {
      return absl::DataLossError(absl::StrCat("the connector sealed ", got.size(), " of ",
                                              ids->size(), " ekeys; refusing a partial batch"));
    }
    for (int i = 0; i < got.size(); ++i) {
      if (got[i].user_id() != (*ids)[i] || got[i].sealed_ekey().empty()) {
        return absl::DataLossError("the connector's batch does not match the request");
      }
    }
    response->Swap(result.mutable_seal_ekeys());
    return absl::OkStatus();
  };
  return RouteForTenant(context, auth_, router_, pool_, std::move(steps));
}

}  // namespace dirbridge::cloud
