#ifndef DIRBRIDGE_CLOUD_SVC_IDENTITY_AUTHENTICATOR_H_
#define DIRBRIDGE_CLOUD_SVC_IDENTITY_AUTHENTICATOR_H_

#include <grpcpp/server_context.h>

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

  // The caller's tenant. UNAUTHENTICATED without a valid token;
  // PERMISSION_DENIED for the operator token, which acts for no tenant.
  absl::StatusOr<std::string> Tenant(const grpc::CallbackServerContext& context) const;
  // OK only for the operator token.
  absl::Status Operator(const grpc::CallbackServerContext& context) const;

 private:
  absl::StatusOr<std::string> BearerTokenHash(
      const grpc::CallbackServerContext& context) const;

  Store* const store_;
  const std::string operator_token_hash_;
  // Token hash -> tenant: every backend call asks, and tenant tokens are
  // never revoked, so the store is asked once per token.
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, std::string> tenants_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_IDENTITY_AUTHENTICATOR_H_
