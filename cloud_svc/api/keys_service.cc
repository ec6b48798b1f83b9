#include "cloud_svc/api/keys_service.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "cloud_svc/api/routed_unary.h"
#include "common/secrets.h"

namespace dirbridge::cloud {
namespace {

absl::Status CheckUserId(const std::string& user_id) {
  if (user_id.empty()) return absl::InvalidArgumentError("user_id is required");
  if (user_id.size() > 256) return absl::InvalidArgumentError("user_id is over 256 bytes");
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* KeysService::ProvisionEkey(grpc::CallbackServerContext* context,
                                                     const v1::ProvisionEkeyRequest* request,
                                                     v1::ProvisionEkeyResponse* response) {
  absl::StatusOr<std::string> tenant = auth_->Tenant(*context);
  if (!tenant.ok()) return FinishWith(context, tenant.status());
  if (absl::Status st = CheckUserId(request->user_id()); !st.ok()) return FinishWith(context, st);
  if (!request->rotate()) {
    absl::StatusOr<EkeyRecord> existing = store_->CurrentEkey(*tenant, request->user_id());
    if (existing.ok()) {
      response->set_key_id(existing->key_id);
      return FinishWith(context, absl::OkStatus());
    }
    if (!absl::IsNotFound(existing.status())) return FinishWith(context, existing.status());
  }
  EkeyRecord record;
  record.tenant_id = *tenant;
  record.user_id = request->user_id();
  record.key_id = NewId();
  v1::CallRequest call;
  v1::WrapNewEkeyRequest* wrap = call.mutable_wrap_new_ekey();
  wrap->set_tenant_id(record.tenant_id);
  wrap->set_user_id(record.user_id);
  wrap->set_key_id(record.key_id);
  RouteOptions options;
  options.idempotent = true;  // a key made and dropped is never stored: safe to ask again
  bool rotate = request->rotate();
  return RouteUnary(context, router_, *tenant, std::move(call), options,
                    [this, response, record, rotate](v1::CallResult& result) mutable
                    -> absl::Status {
                      if (!result.has_wrap_new_ekey() ||
                          result.wrap_new_ekey().wrapped_ekey().empty()) {
                        return absl::InternalError("the connector sent no wrapped ekey");
                      }
                      record.wrapped = result.wrap_new_ekey().wrapped_ekey();
                      record.kek_version = result.wrap_new_ekey().kek_version();
                      record.created_at = absl::Now();
                      absl::StatusOr<EkeyRecord> stored = store_->PutEkey(record, rotate);
                      if (!stored.ok()) return stored.status();
                      response->set_key_id(stored->key_id);
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* KeysService::GetEkeys(grpc::CallbackServerContext* context,
                                                const v1::GetEkeysRequest* request,
                                                v1::GetEkeysResponse* response) {
  absl::StatusOr<std::string> tenant = auth_->Tenant(*context);
  if (!tenant.ok()) return FinishWith(context, tenant.status());
  if (request->recipient_public_key().size() != 32) {
    return FinishWith(context, absl::InvalidArgumentError(absl::StrCat(
                                   "recipient_public_key must be a raw 32-byte X25519 key, not ",
                                   request->recipient_public_key().size(), " bytes")));
  }
  if (request->user_ids_size() == 0 || request->user_ids_size() > kMaxBatch) {
    return FinishWith(context, absl::InvalidArgumentError(
                                   absl::StrCat("user_ids must list 1 to ", kMaxBatch, " users")));
  }
  std::vector<std::string> ids(request->user_ids().begin(), request->user_ids().end());
  absl::flat_hash_set<std::string> seen;
  for (const std::string& id : ids) {
    if (absl::Status st = CheckUserId(id); !st.ok()) return FinishWith(context, st);
    if (!seen.insert(id).second) {
      return FinishWith(context, absl::InvalidArgumentError(
                                     absl::StrCat("user_id \"", id, "\" is listed twice")));
    }
  }
  absl::StatusOr<std::vector<EkeyRecord>> found = store_->CurrentEkeys(*tenant, ids);
  if (!found.ok()) return FinishWith(context, found.status());
  absl::flat_hash_map<std::string, EkeyRecord*> by_user;
  for (EkeyRecord& e : *found) by_user[e.user_id] = &e;
  v1::CallRequest call;
  v1::SealEkeysRequest* seal = call.mutable_seal_ekeys();
  seal->set_tenant_id(*tenant);
  seal->set_recipient_public_key(request->recipient_public_key());
  for (const std::string& id : ids) {
    auto it = by_user.find(id);
    // All or nothing: a batch with a hole is not a batch.
    if (it == by_user.end()) {
      return FinishWith(context, absl::NotFoundError(absl::StrCat(
                                     "user \"", id, "\" has no ekey; call ProvisionEkey first")));
    }
    v1::WrappedEkey* w = seal->add_ekeys();
    w->set_user_id(id);
    w->set_key_id(it->second->key_id);
    w->set_wrapped_ekey(std::move(it->second->wrapped));
  }
  RouteOptions options;
  options.idempotent = true;
  return RouteUnary(context, router_, *tenant, std::move(call), options,
                    [response, ids = std::move(ids)](v1::CallResult& result) -> absl::Status {
                      if (!result.has_seal_ekeys()) {
                        return absl::InternalError("the connector sent no sealed ekeys");
                      }
                      const auto& got = result.seal_ekeys().ekeys();
                      if (got.size() != static_cast<int>(ids.size())) {
                        return absl::DataLossError(absl::StrCat(
                            "the connector sealed ", got.size(), " of ", ids.size(),
                            " ekeys; refusing a partial batch"));
                      }
                      for (int i = 0; i < got.size(); ++i) {
                        if (got[i].user_id() != ids[i] || got[i].sealed_ekey().empty()) {
                          return absl::DataLossError("the connector's batch does not match the request");
                        }
                      }
                      response->Swap(result.mutable_seal_ekeys());
                      return absl::OkStatus();
                    });
}

}  // namespace dirbridge::cloud
