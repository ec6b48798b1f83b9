// The replicas e2e tests' world: N cloud_svc replicas on one real
// PostgreSQL, one slapd, one connector, and a backend's view of them.
#ifndef DIRBRIDGE_TESTS_REPLICAS_FIXTURE_H_
#define DIRBRIDGE_TESTS_REPLICAS_FIXTURE_H_

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "dirbridge/v1/auth.grpc.pb.h"
#include "tests/harness/postgres.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {

constexpr int kReplicas = 3;
constexpr int kUsers = 300;
constexpr char kSuffix[] = "dc=example,dc=com";
// Every replica's --replica_heartbeat; one silent for kMissedBeats of them
// (cloud_svc's default) is dead, and reaped by a survivor.
constexpr absl::Duration kHeartbeat = absl::Milliseconds(300);
constexpr int kMissedBeats = 3;

// How many lines of a process's log hold `what`.
inline int LinesWith(absl::string_view log, absl::string_view what) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) n += absl::StrContains(line, what);
  return n;
}

// Logins from a backend as a real one would send them: one channel over
// every replica's backend address (round robin over those whose health
// says SERVING), retrying a call the server never took (UNAVAILABLE), as
// gRPC's retry policy is for.
inline std::shared_ptr<grpc::Channel> BackendChannel(const std::vector<const CloudSvc*>& replicas) {
  std::vector<std::string> addrs;
  for (const CloudSvc* r : replicas) addrs.push_back(absl::StrCat("127.0.0.1:", r->backend_port()));
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = replicas.front()->backend_ca_pem();
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(R"({
    "loadBalancingConfig": [{"round_robin": {}}],
    "healthCheckConfig": {"serviceName": ""},
    "methodConfig": [{
      "name": [{"service": "dirbridge.v1.Auth"}],
      "retryPolicy": {"maxAttempts": 4, "initialBackoff": "0.05s", "maxBackoff": "0.5s",
                      "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]}}]})");
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  args.SetSslTargetNameOverride("127.0.0.1");
  return grpc::CreateCustomChannel(absl::StrCat("ipv4:", absl::StrJoin(addrs, ",")),
                                   grpc::SslCredentials(ssl), args);
}

// A steady login load in the background: every failure is kept with when
// it happened.
class LoginLoad {
 public:
  LoginLoad(std::shared_ptr<grpc::Channel> channel, std::string token)
      : stub_(v1::Auth::NewStub(channel)), token_(std::move(token)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~LoginLoad() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int ok() const { return ok_; }
  // Failures at or after `since`.
  std::vector<std::string> FailuresSince(absl::Time since) {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& [when, what] : failures_) {
      if (when >= since) out.push_back(absl::StrCat(absl::FormatTime(when), " ", what));
    }
    return out;
  }
  std::vector<std::string> Failures() { return FailuresSince(absl::InfinitePast()); }

 private:
  void Loop() {
    for (int i = 0; !stop_; ++i) {
      int n = i % kUsers + 1;
      std::string uid = absl::StrFormat("user%05d", n);
      v1::AuthenticateRequest req;
      req.set_username(uid);
      req.set_password("pw-" + uid);
      v1::AuthenticateResponse resp;
      absl::Time started = absl::Now();
      grpc::Status st = stub_->Authenticate(Ctx(token_, absl::Seconds(10)).get(), req, &resp);
      if (st.ok() && resp.result() == v1::AUTH_RESULT_OK) {
        ++ok_;
      } else {
        absl::MutexLock lock(&mu_);
        failures_.emplace_back(started, st.ok() ? absl::StrCat("result ", resp.result())
                                                : st.error_message());
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  std::unique_ptr<v1::Auth::Stub> stub_;
  const std::string token_;
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0};
  absl::Mutex mu_;
  std::vector<std::pair<absl::Time, std::string>> failures_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Postgres*> pg = Postgres::Shared();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *pg;
    if (!pg_->running()) {
      ASSERT_TRUE(pg_->Start().ok());
    }
    absl::StatusOr<std::string> db = pg_->NewDatabase();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *db;
    SlapdOptions o;
    o.users = kUsers;
    slapd_ = std::make_unique<Slapd>(o);
    ASSERT_TRUE(slapd_->Start().ok());
    for (int i = 0; i < kReplicas; ++i) {
      clouds_.push_back(std::make_unique<CloudSvc>());
      absl::Status st = clouds_[i]->Start(Options(i));
      ASSERT_TRUE(st.ok()) << st;
    }
    absl::StatusOr<Tenant> t = clouds_[0]->CreateTenant("acme");
    ASSERT_TRUE(t.ok()) << t.status();
    tenant_ = *t;
    connector_ = std::make_unique<ConnectorSvc>(clouds_[0].get(), slapd_.get());
    ASSERT_TRUE(connector_->Register(tenant_.token, "dc1").ok());
  }

  CloudSvc::Options Options(int i, std::vector<std::string> more = {}) {
    CloudSvc::Options o;
    o.tls = true;
    o.replica_of = i == 0 ? nullptr : clouds_[0].get();
    o.extra_flags = {"--store", pg_->uri(db_), "--store_password_file", pg_->password_file(),
                     "--peer_addr", "127.0.0.1:0", "--replica_id", absl::StrCat("r", i),
                     "--replica_heartbeat", absl::FormatDuration(kHeartbeat),
                     "--drain_timeout", "10s"};
    o.extra_flags.insert(o.extra_flags.end(), more.begin(), more.end());
    return o;
  }

  std::vector<std::string> TunnelAddresses() const {
    std::vector<std::string> out;
    for (const auto& c : clouds_) out.push_back(c->tunnel_address());
    return out;
  }

  // The replica holding the connector's stream, as the store says; -1 for
  // none (or more than one, while it moves).
  int Holder() {
    absl::StatusOr<std::string> out = pg_->Psql(
        absl::StrCat("SELECT replica_id FROM sessions WHERE connector_id = '",
                     connector_->connector_id(), "'"),
        db_);
    if (!out.ok()) return -1;
    std::vector<std::string> rows =
        absl::StrSplit(absl::StripAsciiWhitespace(*out), '\n', absl::SkipEmpty());
    if (rows.size() != 1) return -1;
    for (int i = 0; i < kReplicas; ++i) {
      if (rows[0] == absl::StrCat("r", i)) return i;
    }
    return -1;
  }

  int WaitForHolder(absl::Duration timeout, int not_this = -2) {
    int holder = -1;
    WaitFor([&] { return (holder = Holder()) >= 0 && holder != not_this; }, timeout);
    return holder;
  }

  v1::AuthResult Login(CloudSvc& via, int n) {
    std::string uid = absl::StrFormat("user%05d", n);
    v1::AuthenticateRequest req;
    req.set_username(uid);
    req.set_password("pw-" + uid);
    v1::AuthenticateResponse resp;
    grpc::Status st =
        v1::Auth::NewStub(via.channel())->Authenticate(Ctx(tenant_.token).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.result();
  }

  Postgres* pg_ = nullptr;
  std::string db_;
  std::unique_ptr<Slapd> slapd_;
  std::vector<std::unique_ptr<CloudSvc>> clouds_;
  Tenant tenant_;
  std::unique_ptr<ConnectorSvc> connector_;
};

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_REPLICAS_FIXTURE_H_
