#ifndef DIRBRIDGE_CLOUD_SVC_API_AUTH_SERVICE_H_
#define DIRBRIDGE_CLOUD_SVC_API_AUTH_SERVICE_H_

#include "cloud_svc/api/auth_throttle.h"
#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/routing/session_registry.h"
#include "common/thread_pool.h"
#include "dirbridge/v1/auth.grpc.pb.h"

namespace dirbridge::cloud {

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

 private:
  const Authenticator* const auth_;
  Router* const router_;
  SessionRegistry* const registry_;
  AuthThrottle* const throttle_;
  ThreadPool* const pool_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_AUTH_SERVICE_H_
