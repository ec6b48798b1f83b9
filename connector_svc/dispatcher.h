#ifndef DIRBRIDGE_CONNECTOR_SVC_DISPATCHER_H_
#define DIRBRIDGE_CONNECTOR_SVC_DISPATCHER_H_

#include <functional>
#include <memory>
#include <string>

#include "common/crypto.h"
#include "common/thread_pool.h"
#include "connector_svc/call.h"
#include "connector_svc/keys/ekey_handlers.h"
#include "connector_svc/keys/key_store.h"
#include "connector_svc/ldap/directory.h"
#include "connector_svc/ldap/ldap_config.h"
#include "dirbridge/v1/tunnel.pb.h"

namespace dirbridge::connector {

// Turns a CallRequest into a CallResult: a switch on the request's oneof,
// each case a handler that runs on the worker pool (a login on the
// directory's event loop), never on the stream's thread. Knows nothing of
// gRPC streams; tests drive Dispatch directly.
class Dispatcher {
 public:
  using Reply = std::function<void(v1::CallResult)>;
  // Sends one streamed chunk; the handler has taken its credit.
  using Emit = std::function<void(v1::ResultChunk)>;

  // `tenant_id` and `password_key` open sealed passwords; `keys` makes and
  // opens ekeys (null: ekey calls answer FAILED_PRECONDITION). SearchUsers
  // streams run on `max_streams` threads of their own, apart from the
  // `threads` that lookups use, so streams waiting for credit never hold a
  // worker a lookup needs; one more stream is refused (RESOURCE_EXHAUSTED).
  Dispatcher(Directory* directory, int threads, std::string tenant_id,
             crypto::X25519KeyPair password_key, KeyStore* keys = nullptr,
             int max_streams = kDefaultMaxStreams)
      : directory_(directory),
        tenant_id_(std::move(tenant_id)),
        password_key_(std::move(password_key)),
        ekeys_(keys, tenant_id_),
        max_streams_(max_streams),
        stream_pool_(max_streams),
        pool_(threads) {}
  // Waits for the logins still on the directory's event loop.
  ~Dispatcher();

  // Runs the call's handler off the caller's thread; `reply` gets the
  // result once (with call_id set), unless the call was cancelled.
  void Dispatch(v1::CallRequest request, std::shared_ptr<Call> call, Reply reply,
                Emit emit);

  // Which connector this is, for echo answers.
  void set_connector_id(std::string id);

 private:
  // SearchUsers on stream_pool_, or refused when max_streams_ run already.
  void DispatchStream(v1::CallRequest request, std::shared_ptr<Call> call, Reply reply,
                      Emit emit);
  // Runs the handler of every kind but Authenticate here and now.
  v1::CallResult Handle(const v1::CallRequest& request, Call& call, const Emit& emit);
  absl::Status SearchUsers(const v1::SearchUsersRequest& request, Call& call,
                           const Emit& emit);
  // A password in clear: `sealed` opened (sealed to this connector for
  // this tenant and username), or `clear`; `field` names it in errors
  // ("password": the other is "sealed_password").
  absl::StatusOr<std::string> OpenPassword(const std::string& clear, const std::string& sealed,
                                           const std::string& username,
                                           absl::string_view field) const;
  // The user, with the groups of request.within_groups they are in
  // through nested groups added to User.groups.
  absl::StatusOr<v1::User> GetUser(const v1::GetUserRequest& request, const OpContext& ctx);
  // GetUserRequest.within_groups read at most: each may cost a group walk.
  static constexpr int kMaxWithinGroups = 64;
  // ChangePassword's two passwords opened, then the directory's change.
  absl::StatusOr<v1::ChangePasswordResponse> ChangePassword(
      const v1::ChangePasswordRequest& request, const OpContext& ctx);
  // Authenticate's one path, the hot path of web logins: no worker waits,
  // the directory's event loop does.
  void DispatchAuthenticate(v1::CallRequest request, std::shared_ptr<Call> call, Reply reply);
  // Counts and logs a finished call.
  void Record(v1::CallRequest::RequestCase kind, const v1::CallResult& result);

  Directory* const directory_;
  const std::string tenant_id_;
  crypto::X25519KeyPair password_key_;
  EkeyHandlers ekeys_;
  absl::Mutex mu_;
  std::string connector_id_ ABSL_GUARDED_BY(mu_);
  int async_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  const int max_streams_;
  int streams_ ABSL_GUARDED_BY(mu_) = 0;  // SearchUsers admitted, not yet done
  // Last: their threads stop before the members they use.
  ThreadPool stream_pool_;
  ThreadPool pool_;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_DISPATCHER_H_
