#ifndef DIRBRIDGE_CLOUD_SVC_IDENTITY_AUTHENTICATOR_H_
#define DIRBRIDGE_CLOUD_SVC_IDENTITY_AUTHENTICATOR_H_

#include <grpcpp/server_context.h>

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cloud_svc/store/store.h"

namespace dirbridge::cloud {

// Who is calling a backend method, from `authorization: Bearer <token>`.
// The operator token (a file, compared by hash) may only create tenants; a
// tenant token acts for its tenant only. Thread-safe.
class Authenticator {
 public:
  // An empty operator token disables operator calls.
  Authenticator(Store* store, absl::string_view operator_token);

  // The call's `authorization` metadata, copied: work that leaves the
  // reaction's thread may outlive the context.
  static std::string Authorization(const grpc::CallbackServerContext& context);

  // The caller's tenant. UNAUTHENTICATED without a valid token;
  // PERMISSION_DENIED for the operator token, which acts for no tenant.
  // May ask the store: never call it on a gRPC reaction's thread.
  absl::StatusOr<std::string> Tenant(absl::string_view authorization) const;
  // The same answer when it needs no store: a cached token, or a header
  // that is wrong on its face. nullopt: only Tenant can tell.
  std::optional<absl::StatusOr<std::string>> TenantIfKnown(
      absl::string_view authorization) const;
  // OK only for the operator token. May ask the store.
  absl::Status Operator(absl::string_view authorization) const;

 private:
  static absl::StatusOr<std::string> BearerTokenHash(absl::string_view authorization);

  Store* const store_;
  const std::string operator_token_hash_;
  // Token hash -> tenant: every backend call asks, and tenant tokens are
  // never revoked, so the store is asked once per token.
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, std::string> tenants_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_IDENTITY_AUTHENTICATOR_H_
