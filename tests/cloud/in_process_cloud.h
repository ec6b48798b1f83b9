#ifndef DIRBRIDGE_TESTS_CLOUD_IN_PROCESS_CLOUD_H_
#define DIRBRIDGE_TESTS_CLOUD_IN_PROCESS_CLOUD_H_

#include <grpcpp/client_context.h>
#include <grpcpp/server.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloud_svc/api/admin_service.h"
#include "cloud_svc/api/auth_service.h"
#include "cloud_svc/api/auth_throttle.h"
#include "cloud_svc/api/directory_service.h"
#include "cloud_svc/api/keys_service.h"
#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/identity/connector_identity.h"
#include "cloud_svc/identity/registrar.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/routing/session_registry.h"
#include "cloud_svc/routing/tunnel_service.h"
#include "cloud_svc/store/memory_store.h"
#include "common/thread_pool.h"
#include "dirbridge/v1/admin.grpc.pb.h"
#include "dirbridge/v1/directory.grpc.pb.h"
#include "dirbridge/v1/keys.grpc.pb.h"
#include "dirbridge/v1/tunnel.grpc.pb.h"

namespace dirbridge::testing {

// cloud_svc's routing and backend stages in this process, on the
// in-memory store, behind one real gRPC server on a loopback port (port
// 0). For tests of what the stages do together, with faults injected
// into the store; the e2e tests run the real binaries.
class InProcessCloud {
 public:
  struct Options {
    cloud::SessionLimits limits;
    int store_threads = 4;
    size_t store_queue = 64;
  };
  InProcessCloud();
  explicit InProcessCloud(Options options);
  ~InProcessCloud();

  cloud::MemoryStore& store() { return store_; }
  cloud::SessionRegistry& registry() { return *registry_; }
  cloud::Router& router() { return *router_; }
  const std::string& tenant_id() const { return tenant_id_; }

  // A connector of the tenant, registered; its tunnel credential.
  std::string AddConnector(const std::string& connector_id);
  // Another tenant (for tenant walls), and a connector of it.
  void AddTenant(const std::string& tenant_id);
  std::string AddConnector(const std::string& connector_id, const std::string& tenant_id);

  // Backend stubs, and a context carrying the tenant's token.
  std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout = absl::Seconds(10)) const;
  v1::Directory::Stub& directory() { return *directory_; }
  v1::Admin::Stub& admin() { return *admin_; }
  v1::Keys::Stub& keys() { return *keys_; }
  v1::ConnectorTunnel::Stub& tunnel() { return *tunnel_; }

  // Until `connector_id` has a ready session, or the deadline.
  bool WaitConnected(const std::string& connector_id, absl::Duration timeout);

 private:
  Options options_;
  cloud::MemoryStore store_;
  std::string tenant_id_ = "tenant-1";
  std::string token_ = "tenant-1-token-0123456789";
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<cloud::SessionRegistry> registry_;
  std::unique_ptr<cloud::Router> router_;
  std::unique_ptr<cloud::Authenticator> auth_;
  std::unique_ptr<cloud::CredentialAuthenticator> connector_auth_;
  std::unique_ptr<cloud::Registrar> registrar_;
  std::unique_ptr<cloud::AuthThrottle> throttle_;
  std::unique_ptr<cloud::TunnelService> tunnel_service_;
  std::unique_ptr<cloud::DirectoryService> directory_service_;
  std::unique_ptr<cloud::AdminService> admin_service_;
  std::unique_ptr<cloud::KeysService> keys_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Directory::Stub> directory_;
  std::unique_ptr<v1::Admin::Stub> admin_;
  std::unique_ptr<v1::Keys::Stub> keys_;
  std::unique_ptr<v1::ConnectorTunnel::Stub> tunnel_;
};

// A connector played by the test: one tunnel stream whose frames the test
// sees and writes. Pings are answered by itself; each CallRequest goes to
// `on_call` (from the reading thread) when set, and waits in a queue for
// NextCall unless on_call handled it (returned true). Thread-safe.
class ScriptedConnector {
 public:
  using OnCall = std::function<bool(const v1::CallRequest&, ScriptedConnector&)>;

  // Connects with `credential` and says Hello.
  ScriptedConnector(InProcessCloud& cloud, const std::string& credential,
                    OnCall on_call = nullptr);
  // The same against any tunnel listener (a real cloud_svc process); with
  // `first` unset, nothing is sent until the test sends.
  ScriptedConnector(v1::ConnectorTunnel::Stub& tunnel, const std::string& credential,
                    std::optional<v1::ConnectorFrame> first, OnCall on_call = nullptr);
  // Says `first` instead (a wrong first frame, another revision's Hello).
  ScriptedConnector(InProcessCloud& cloud, const std::string& credential, OnCall on_call,
                    const v1::ConnectorFrame& first);
  ~ScriptedConnector();  // Closes the stream.

  // The Hello the first constructor sends: this build's revisions.
  static v1::ConnectorFrame DefaultHello();

  bool Send(const v1::ConnectorFrame& frame);
  // Answers `call_id` with OK and a result that `fill` completes.
  bool Answer(uint64_t call_id, const std::function<void(v1::CallResult&)>& fill);
  // One streamed chunk of a SearchUsers call.
  bool SendChunk(uint64_t call_id, v1::SearchUsersResponse chunk);
  std::optional<v1::CallRequest> NextCall(absl::Duration timeout);
  // Every frame of `kind` the cloud sent so far, pings excepted (counted
  // by pings()); calls are listed here too, whoever took them.
  std::vector<v1::CloudFrame> Received(v1::CloudFrame::FrameCase kind) const;
  // Until at least n frames of `kind` have arrived, or the timeout.
  bool WaitReceived(v1::CloudFrame::FrameCase kind, size_t n, absl::Duration timeout);
  // A connector gone silent: pings are no longer answered.
  void StopAnsweringPings();
  // Runs `on_credit` (from the reading thread) for each Credit frame, for
  // a test that streams chunks as credit comes back.
  using OnCredit = std::function<void(const v1::Credit&, ScriptedConnector&)>;
  void SetOnCredit(OnCredit on_credit);
  // Ends the stream from this side (WritesDone), as a connector that stops.
  void Close();
  // The status the cloud ended the stream with, once it has.
  std::optional<grpc::Status> WaitEnded(absl::Duration timeout);
  int pings() const;

 private:
  void ReadLoop();

  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ConnectorFrame, v1::CloudFrame>> stream_;
  OnCall on_call_;
  absl::Mutex write_mu_;
  mutable absl::Mutex mu_;
  std::deque<v1::CallRequest> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::CloudFrame> received_ ABSL_GUARDED_BY(mu_);
  int pings_ ABSL_GUARDED_BY(mu_) = 0;
  bool answer_pings_ ABSL_GUARDED_BY(mu_) = true;
  OnCredit on_credit_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> ended_ ABSL_GUARDED_BY(mu_);
  std::thread reader_;
};

// The one answer most tests need: an echo call answered with its payload.
// Answers it when `call` is an echo; false for anything else.
bool AnswerEcho(const v1::CallRequest& call, ScriptedConnector& connector);

// Until `condition` holds (polled), or the timeout; true if it held.
bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = absl::Seconds(10));

// What became of one call: handlers to give a Router or Session, and waits
// on their outcome. Counts on_done, which must run exactly once. The
// handlers share the outcome's state, so a call that ends after the test
// (at teardown) finds it still there.
class CallOutcome {
 public:
  cloud::CallHandlers Handlers(bool streaming = false);
  // The result, once on_done has run; nullopt at the timeout.
  std::optional<absl::StatusOr<v1::CallResult>> Wait(absl::Duration timeout = absl::Seconds(10));
  int done_count() const;
  std::vector<v1::ResultChunk> chunks() const;

 private:
  struct State {
    mutable absl::Mutex mu;
    std::optional<absl::StatusOr<v1::CallResult>> result ABSL_GUARDED_BY(mu);
    int done_count ABSL_GUARDED_BY(mu) = 0;
    std::vector<v1::ResultChunk> chunks ABSL_GUARDED_BY(mu);
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_CLOUD_IN_PROCESS_CLOUD_H_
