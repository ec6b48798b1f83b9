#include "cloud_svc/identity/authenticator.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "common/secrets.h"

namespace dirbridge::cloud {
namespace {

// Tokens are never revoked, so a cached one stays right; the bound keeps
// callers with endless made-up tokens from growing the cache (unknown
// tokens are never cached anyway).
constexpr size_t kMaxCachedTokens = 100000;

}  // namespace

Authenticator::Authenticator(Store* store, absl::string_view operator_token)
    : store_(store),
      operator_token_hash_(operator_token.empty() ? "" : Sha256Hex(operator_token)) {}

std::string Authenticator::Authorization(const grpc::CallbackServerContext& context) {
  const auto& md = context.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::StatusOr<std::string> Authenticator::BearerTokenHash(absl::string_view authorization) {
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "missing `authorization: Bearer <token>` metadata");
  }
  absl::string_view token = authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ") &&
      !absl::ConsumePrefix(&token, "bearer ")) {
    return absl::UnauthenticatedError(
        "authorization metadata must be `Bearer <token>`");
  }
  if (token.empty()) return absl::UnauthenticatedError("empty bearer token");
  return Sha256Hex(token);
}

std::optional<absl::StatusOr<std::string>> Authenticator::TenantIfKnown(
    absl::string_view authorization) const {
  absl::StatusOr<std::string> hash = BearerTokenHash(authorization);
  if (!hash.ok()) return hash.status();
  if (!operator_token_hash_.empty() && SecureEquals(*hash, operator_token_hash_)) {
    return absl::PermissionDeniedError(
        "the operator token only creates tenants; use the tenant's token");
  }
  absl::MutexLock lock(&mu_);
  auto it = tenants_.find(*hash);
  if (it != tenants_.end()) return it->second;
  return std::nullopt;
}

absl::StatusOr<std::string> Authenticator::Tenant(absl::string_view authorization) const {
  if (std::optional<absl::StatusOr<std::string>> known = TenantIfKnown(authorization)) {
    return *std::move(known);
  }
  std::string hash = *BearerTokenHash(authorization);  // TenantIfKnown checked it
  absl::StatusOr<TenantRecord> t = store_->TenantByTokenHash(hash);
  if (absl::IsNotFound(t.status())) {
    return absl::UnauthenticatedError("bearer token not accepted");
  }
  if (!t.ok()) return absl::UnavailableError(t.status().message());
  absl::MutexLock lock(&mu_);
  if (tenants_.size() < kMaxCachedTokens) tenants_[hash] = t->tenant_id;
  return t->tenant_id;
}

absl::Status Authenticator::Operator(absl::string_view authorization) const {
  absl::StatusOr<std::string> hash = BearerTokenHash(authorization);
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
