#include "cloud_svc/identity/authenticator.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "common/secrets.h"

namespace dirbridge::cloud {

Authenticator::Authenticator(Store* store, absl::string_view operator_token)
    : store_(store),
      operator_token_hash_(operator_token.empty() ? "" : Sha256Hex(operator_token)) {}

absl::StatusOr<std::string> Authenticator::BearerTokenHash(
    const grpc::CallbackServerContext& context) const {
  const auto& md = context.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return absl::UnauthenticatedError(
        "missing `authorization: Bearer <token>` metadata");
  }
  absl::string_view value(it->second.data(), it->second.size());
  absl::string_view token = value;
  if (!absl::ConsumePrefix(&token, "Bearer ") &&
      !absl::ConsumePrefix(&token, "bearer ")) {
    return absl::UnauthenticatedError(
        "authorization metadata must be `Bearer <token>`");
  }
  if (token.empty()) return absl::UnauthenticatedError("empty bearer token");
  return Sha256Hex(token);
}

absl::StatusOr<std::string> Authenticator::Tenant(
    const grpc::CallbackServerContext& context) const {
  absl::StatusOr<std::string> hash = BearerTokenHash(context);
  if (!hash.ok()) return hash.status();
  if (!operator_token_hash_.empty() && SecureEquals(*hash, operator_token_hash_)) {
    return absl::PermissionDeniedError(
        "the operator token only creates tenants; use the tenant's token");
  }
  {
    absl::MutexLock lock(&mu_);
    auto it = tenants_.find(*hash);
    if (it != tenants_.end()) return it->second;
  }
  absl::StatusOr<TenantRecord> t = store_->TenantByTokenHash(*hash);
  if (absl::IsNotFound(t.status())) {
    return absl::UnauthenticatedError("bearer token not accepted");
  }
  if (!t.ok()) return absl::UnavailableError(t.status().message());
  absl::MutexLock lock(&mu_);
  if (tenants_.size() < 100000) tenants_[*hash] = t->tenant_id;
  return t->tenant_id;
}

absl::Status Authenticator::Operator(
    const grpc::CallbackServerContext& context) const {
  absl::StatusOr<std::string> hash = BearerTokenHash(context);
  if (!hash.ok()) return hash.status();
  if (!operator_token_hash_.empty() && SecureEquals(*hash, operator_token_hash_)) {
    return absl::OkStatus();
  }
  if (store_->TenantByTokenHash(*hash).ok()) {
    return absl::PermissionDeniedError("only the operator token creates tenants");
  }
  return absl::UnauthenticatedError("bearer token not accepted");
}

}  // namespace dirbridge::cloud
