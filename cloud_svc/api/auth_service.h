#ifndef DIRBRIDGE_CLOUD_SVC_API_AUTH_SERVICE_H_
#define DIRBRIDGE_CLOUD_SVC_API_AUTH_SERVICE_H_

#include <cstddef>

#include "cloud_svc/api/auth_throttle.h"
#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/routing/session_registry.h"
#include "common/thread_pool.h"
#include "dirbridge/v1/auth.grpc.pb.h"

namespace dirbridge::cloud {

// Longest password the cloud routes, in bytes (AD takes 256 characters at
// most), and the box one sealed comes in (sealing adds 93 bytes).
inline constexpr size_t kMaxPasswordBytes = 1024;
inline constexpr size_t kMaxSealedPasswordBytes = kMaxPasswordBytes + 128;

// Auth: web login with directory credentials. The password (or the box it
// is sealed in) goes to a connector and nowhere else: not into a log, an
// error message or the store.
class AuthService : public v1::Auth::CallbackService {
 public:
  // `pool` looks up tokens not yet cached.
  AuthService(const Authenticator* auth, Router* router, SessionRegistry* registry,
              AuthThrottle* throttle, ThreadPool* pool)
      : auth_(auth), router_(router), registry_(registry), throttle_(throttle), pool_(pool) {}

  grpc::ServerUnaryReactor* Authenticate(grpc::CallbackServerContext* context,
                                         const v1::AuthenticateRequest* request,
                                         v1::AuthenticateResponse* response) override;
  // The same route, throttle and secrecy as Authenticate: the passwords
  // (or their boxes) go to a connector only; a wrong old password counts
  // as a failed login of that user.
  grpc::ServerUnaryReactor* ChangePassword(grpc::CallbackServerContext* context,
                                           const v1::ChangePasswordRequest* request,
                                           v1::ChangePasswordResponse* response) override;

 private:
  // A password given in clear (`clear`) or sealed (`sealed`), never both,
  // and not empty; `field` names it in errors. When sealed, the connector
  // holding the key the box was sealed to must be live: its id goes into
  // `*connector_id` (which must be empty or already that id: two boxes go
  // to one connector).
  absl::Status CheckPassword(const std::string& tenant, const std::string& clear,
                             const std::string& sealed, const std::string& field,
                             std::string* connector_id) const;

  const Authenticator* const auth_;
  Router* const router_;
  SessionRegistry* const registry_;
  AuthThrottle* const throttle_;
  ThreadPool* const pool_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_AUTH_SERVICE_H_
