#ifndef DIRBRIDGE_CLOUD_SVC_API_KEYS_SERVICE_H_
#define DIRBRIDGE_CLOUD_SVC_API_KEYS_SERVICE_H_

#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/store/store.h"
#include "common/thread_pool.h"
#include "dirbridge/v1/keys.grpc.pb.h"

namespace dirbridge::cloud {

// Keys: ekeys for cloud-app backups. The connector makes each ekey and
// hands back only its wrapped form, which is all the store ever holds; to
// use one, the connector unwraps it and seals it to the backup worker's
// one-time key. This service handles wrapped or sealed bytes, nothing else.
class KeysService : public v1::Keys::CallbackService {
 public:
  static constexpr int kMaxBatch = 10000;

  // `pool` runs the steps that touch the store.
  KeysService(const Authenticator* auth, Router* router, Store* store, ThreadPool* pool)
      : auth_(auth), router_(router), store_(store), pool_(pool) {}

  grpc::ServerUnaryReactor* ProvisionEkey(grpc::CallbackServerContext* context,
                                          const v1::ProvisionEkeyRequest* request,
                                          v1::ProvisionEkeyResponse* response) override;
  grpc::ServerUnaryReactor* GetEkeys(grpc::CallbackServerContext* context,
                                     const v1::GetEkeysRequest* request,
                                     v1::GetEkeysResponse* response) override;

 private:
  const Authenticator* const auth_;
  Router* const router_;
  Store* const store_;
  ThreadPool* const pool_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_KEYS_SERVICE_H_
