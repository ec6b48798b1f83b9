#include "tests/cloud/in_process_cloud.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "common/secrets.h"
#include "common/tunnel_metadata.h"
#include "common/version.h"

namespace dirbridge::testing {

InProcessCloud::InProcessCloud() : InProcessCloud(Options{}) {}

InProcessCloud::InProcessCloud(Options options) : options_(std::move(options)) {
  absl::Status st = store_.CreateTenant({tenant_id_, "acme", absl::Now()}, Sha256Hex(token_));
  if (!st.ok()) abort();
  pool_ = std::make_unique<ThreadPool>(options_.store_threads, options_.store_queue);
  connector_auth_ = std::make_unique<cloud::CredentialAuthenticator>(&store_);
  registry_ = std::make_unique<cloud::SessionRegistry>(&store_, connector_auth_.get(),
                                                       pool_.get(), options_.limits);
  router_ = std::make_unique<cloud::Router>(registry_.get());
  auth_ = std::make_unique<cloud::Authenticator>(&store_, "");
  registrar_ = std::make_unique<cloud::Registrar>(&store_, absl::Hours(1));
  throttle_ = std::make_unique<cloud::AuthThrottle>(
      cloud::ThrottleLimits{10, 1000, absl::Minutes(15)});
  tunnel_service_ = std::make_unique<cloud::TunnelService>(
      registrar_.get(), connector_auth_.get(), registry_.get(), pool_.get());
  directory_service_ =
      std::make_unique<cloud::DirectoryService>(auth_.get(), router_.get(), pool_.get());
  admin_service_ = std::make_unique<cloud::AdminService>(
      &store_, auth_.get(), registrar_.get(), registry_.get(), router_.get(), pool_.get());
  keys_service_ =
      std::make_unique<cloud::KeysService>(auth_.get(), router_.get(), &store_, pool_.get());

  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(tunnel_service_.get());
  builder.RegisterService(directory_service_.get());
  builder.RegisterService(admin_service_.get());
  builder.RegisterService(keys_service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0) abort();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  directory_ = v1::Directory::NewStub(channel);
  admin_ = v1::Admin::NewStub(channel);
  keys_ = v1::Keys::NewStub(channel);
  // Streams of their own: a connector's tunnel is not the backend's channel.
  tunnel_ = v1::ConnectorTunnel::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(),
      [] {
        grpc::ChannelArguments args;
        args.SetInt("grpc.use_local_subchannel_pool", 1);
        return args;
      }()));
}

InProcessCloud::~InProcessCloud() {
  // Hung store calls end first (UNAVAILABLE), so that nothing waits on them.
  store_.ClearFaults();
  router_->StopAccepting();
  registry_->CloseAll(absl::UnavailableError("test over"));
  registry_->WaitUntilEmpty(absl::Now() + absl::Seconds(5));
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  pool_->Stop();
}

std::string InProcessCloud::AddConnector(const std::string& connector_id) {
  return AddConnector(connector_id, tenant_id_);
}

void InProcessCloud::AddTenant(const std::string& tenant_id) {
  absl::Status st = store_.CreateTenant({tenant_id, tenant_id, absl::Now()},
                                        Sha256Hex(tenant_id + "-token-0123456789"));
  if (!st.ok()) abort();
}

std::string InProcessCloud::AddConnector(const std::string& connector_id,
                                         const std::string& tenant_id) {
  cloud::ConnectorRecord c;
  c.tenant_id = tenant_id;
  c.connector_id = connector_id;
  c.name = connector_id;
  c.created_at = absl::Now();
  if (!store_.CreateConnector(c).ok()) abort();
  absl::StatusOr<cloud::IssuedKey> key =
      registrar_->IssueKey(tenant_id, connector_id, absl::ZeroDuration());
  if (!key.ok()) abort();
  v1::RegisterRequest request;
  request.set_registration_key(key->key);
  absl::StatusOr<v1::RegisterResponse> registered = registrar_->Redeem(request);
  if (!registered.ok()) abort();
  return registered->credential();
}

std::unique_ptr<grpc::ClientContext> InProcessCloud::Ctx(absl::Duration timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token_);
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

bool InProcessCloud::WaitConnected(const std::string& connector_id, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::shared_ptr<cloud::Session> s = registry_->Find(connector_id);
    if (s && s->TakingCalls()) return true;
    absl::SleepFor(absl::Milliseconds(5));  // polls a condition with a deadline
  }
  return false;
}

ScriptedConnector::ScriptedConnector(InProcessCloud& cloud, const std::string& credential,
                                     OnCall on_call)
    : ScriptedConnector(cloud, credential, std::move(on_call), DefaultHello()) {}

ScriptedConnector::ScriptedConnector(InProcessCloud& cloud, const std::string& credential,
                                     OnCall on_call, const v1::ConnectorFrame& first)
    : on_call_(std::move(on_call)) {
  context_.AddMetadata(kConnectorCredentialHeader, credential);
  stream_ = cloud.tunnel().Connect(&context_);
  Send(first);
  reader_ = std::thread([this] { ReadLoop(); });
}

v1::ConnectorFrame ScriptedConnector::DefaultHello() {
  v1::ConnectorFrame hello;
  hello.mutable_hello()->set_protocol_revision(kProtocolRevision);
  hello.mutable_hello()->set_min_protocol_revision(kMinProtocolRevision);
  hello.mutable_hello()->set_version("scripted");
  hello.mutable_hello()->set_hostname("test-host");
  hello.mutable_hello()->set_ldap_ok(true);
  return hello;
}

ScriptedConnector::~ScriptedConnector() {
  Close();
  context_.TryCancel();
  reader_.join();
}

bool ScriptedConnector::Send(const v1::ConnectorFrame& frame) {
  absl::MutexLock lock(&write_mu_);
  return stream_->Write(frame);
}

bool ScriptedConnector::Answer(uint64_t call_id,
                               const std::function<void(v1::CallResult&)>& fill) {
  v1::ConnectorFrame frame;
  v1::CallResult* result = frame.mutable_result();
  result->set_call_id(call_id);
  fill(*result);
  return Send(frame);
}

bool ScriptedConnector::SendChunk(uint64_t call_id, v1::SearchUsersResponse chunk) {
  v1::ConnectorFrame frame;
  frame.mutable_chunk()->set_call_id(call_id);
  *frame.mutable_chunk()->mutable_search_users() = std::move(chunk);
  return Send(frame);
}

std::vector<v1::CloudFrame> ScriptedConnector::Received(v1::CloudFrame::FrameCase kind) const {
  absl::MutexLock lock(&mu_);
  std::vector<v1::CloudFrame> out;
  for (const v1::CloudFrame& f : received_) {
    if (f.frame_case() == kind) out.push_back(f);
  }
  return out;
}

bool ScriptedConnector::WaitReceived(v1::CloudFrame::FrameCase kind, size_t n,
                                     absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    size_t seen = 0;
    for (const v1::CloudFrame& f : received_) seen += f.frame_case() == kind;
    return seen >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

void ScriptedConnector::StopAnsweringPings() {
  absl::MutexLock lock(&mu_);
  answer_pings_ = false;
}

void ScriptedConnector::SetOnCredit(OnCredit on_credit) {
  absl::MutexLock lock(&mu_);
  on_credit_ = std::move(on_credit);
}

std::optional<v1::CallRequest> ScriptedConnector::NextCall(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !calls_.empty() || ended_.has_value();
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout) || calls_.empty()) {
    return std::nullopt;
  }
  v1::CallRequest call = std::move(calls_.front());
  calls_.pop_front();
  return call;
}

void ScriptedConnector::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
  }
  absl::MutexLock lock(&write_mu_);
  stream_->WritesDone();
}

std::optional<grpc::Status> ScriptedConnector::WaitEnded(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ended_.has_value(); };
  mu_.AwaitWithTimeout(absl::Condition(&ended), timeout);
  return ended_;
}

int ScriptedConnector::pings() const {
  absl::MutexLock lock(&mu_);
  return pings_;
}

void ScriptedConnector::ReadLoop() {
  v1::CloudFrame frame;
  while (stream_->Read(&frame)) {
    if (frame.has_ping()) {
      bool answer;
      {
        absl::MutexLock lock(&mu_);
        ++pings_;
        answer = answer_pings_;
      }
      if (!answer) continue;
      v1::ConnectorFrame pong;
      pong.mutable_pong()->set_seq(frame.ping().seq());
      Send(pong);
      continue;
    }
    OnCredit on_credit;
    {
      absl::MutexLock lock(&mu_);
      received_.push_back(frame);
      on_credit = on_credit_;
    }
    if (frame.has_credit() && on_credit) on_credit(frame.credit(), *this);
    if (frame.has_call()) {
      if (!on_call_ || !on_call_(frame.call(), *this)) {
        absl::MutexLock lock(&mu_);
        calls_.push_back(frame.call());
      }
    }
  }
  grpc::Status st = stream_->Finish();
  absl::MutexLock lock(&mu_);
  ended_ = st;
}

bool AnswerEcho(const v1::CallRequest& call, ScriptedConnector& connector) {
  if (call.request_case() != v1::CallRequest::kEcho) return false;
  connector.Answer(call.call_id(), [&](v1::CallResult& r) {
    r.mutable_echo()->set_payload(call.echo().payload());
  });
  return true;
}

bool Eventually(const std::function<bool()>& condition, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));  // polls a condition with a deadline
  }
  return true;
}

cloud::CallHandlers CallOutcome::Handlers(bool streaming) {
  cloud::CallHandlers h;
  if (streaming) {
    h.on_chunk = [state = state_](v1::ResultChunk&& chunk) {
      absl::MutexLock lock(&state->mu);
      state->chunks.push_back(std::move(chunk));
    };
  }
  h.on_done = [state = state_](absl::StatusOr<v1::CallResult> r) {
    absl::MutexLock lock(&state->mu);
    ++state->done_count;
    state->result = std::move(r);
  };
  return h;
}

std::optional<absl::StatusOr<v1::CallResult>> CallOutcome::Wait(absl::Duration timeout) {
  State& s = *state_;
  absl::MutexLock lock(&s.mu);
  auto done = [&s]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) { return s.result.has_value(); };
  s.mu.AwaitWithTimeout(absl::Condition(&done), timeout);
  return s.result;
}

int CallOutcome::done_count() const {
  absl::MutexLock lock(&state_->mu);
  return state_->done_count;
}

std::vector<v1::ResultChunk> CallOutcome::chunks() const {
  absl::MutexLock lock(&state_->mu);
  return state_->chunks;
}

}  // namespace dirbridge::testing

namespace dirbridge::testing {

ScriptedConnector::ScriptedConnector(v1::ConnectorTunnel::Stub& tunnel,
                                     const std::string& credential,
                                     std::optional<v1::ConnectorFrame> first, OnCall on_call)
    : on_call_(std::move(on_call)) {
  context_.AddMetadata(kConnectorCredentialHeader, credential);
  stream_ = tunnel.Connect(&context_);
  if (first) Send(*first);
  reader_ = std::thread([this] { ReadLoop(); });
}

}  // namespace dirbridge::testing
