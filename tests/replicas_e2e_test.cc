// N cloud_svc replicas on one real PostgreSQL, with real connector_svc and
// slapd processes: any replica serves any tenant, a lost or stopped replica
// costs no login, and what must happen once happens once.

#include <grpcpp/support/sync_stream.h>

#include <set>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "dirbridge/v1/mappings.grpc.pb.h"
#include "dirbridge/v1/peer.grpc.pb.h"
#include "tests/replicas_fixture.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(ReplicasTest, EveryReplicaReachesAConnectorAnotherHolds) {
  // Only r0's address: the connector can be held by r0 alone.
  ASSERT_TRUE(RunUntilConnected(*clouds_[0], tenant_.token, *connector_).ok());
  ASSERT_EQ(WaitForHolder(absl::Seconds(5)), 0);
  absl::StatusOr<std::string> ldif = slapd_->Search(
      kSuffix, "sub", "(|(objectClass=inetOrgPerson)(objectClass=posixAccount))", {"1.1"});
  ASSERT_TRUE(ldif.ok()) << ldif.status();
  int want = 0;
  for (absl::string_view line : absl::StrSplit(*ldif, '\n')) want += absl::StartsWith(line, "dn:");
  ASSERT_GT(want, kUsers - 1);

  for (int i = 0; i < kReplicas; ++i) {
    SCOPED_TRACE(absl::StrCat("through r", i));
    // ListConnectors on every replica: Connected, wherever it is held.
    EXPECT_TRUE(clouds_[i]->WaitForStatus(tenant_.token, connector_->connector_id(),
                                          v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(5)));
    EXPECT_EQ(Login(*clouds_[i], 7 + i), v1::AUTH_RESULT_OK);
    // GetUser: the same entry ldapsearch finds.
    v1::GetUserRequest greq;
    greq.set_username("user00042");
    v1::User user;
    grpc::Status st = clouds_[i]->directory().GetUser(Ctx(tenant_.token).get(), greq, &user);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(user.dn(), absl::StrCat("uid=user00042,ou=dept2,ou=people,", kSuffix));
    // SearchUsers streams through the hop with credits: every user, once.
    v1::SearchUsersRequest sreq;
    sreq.set_base_dn(kSuffix);
    sreq.set_page_size(50);
    auto ctx = Ctx(tenant_.token, absl::Seconds(30));
    auto reader = clouds_[i]->directory().SearchUsers(ctx.get(), sreq);
    v1::SearchUsersResponse chunk;
    std::set<std::string> dns;
    int chunks = 0;
    while (reader->Read(&chunk)) {
      ++chunks;
      for (const v1::User& u : chunk.users()) dns.insert(u.dn());
    }
    st = reader->Finish();
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(static_cast<int>(dns.size()), want);
    EXPECT_GT(chunks, 1);
  }
  // The holder's log shows the forwarded calls came in over the hop.
  EXPECT_TRUE(absl::StrContains(clouds_[0]->process().Log(), "event=peer_forward_in origin=r1"));
  EXPECT_TRUE(absl::StrContains(clouds_[0]->process().Log(), "event=peer_forward_in origin=r2"));
}

TEST_F(ReplicasTest, TheHopRefusesAConnectorCertificate) {
  ASSERT_TRUE(RunUntilConnected(*clouds_[0], tenant_.token, *connector_).ok());
  // The connector's own certificate is signed by the same CA: still not a
  // replica, so the peer listener refuses it.
  std::string cert = ReadFileOrEmpty(connector_->state_dir() + "/client-cert.pem");
  std::string key = ReadFileOrEmpty(connector_->state_dir() + "/client-key.pem");
  ASSERT_FALSE(cert.empty());
  ASSERT_FALSE(key.empty());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = clouds_[0]->tunnel_ca_pem();
  ssl.pem_cert_chain = cert;
  ssl.pem_private_key = key;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("tunnel.dirbridge.internal");
  auto stub = v1::ReplicaPeer::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", clouds_[0]->peer_port()), grpc::SslCredentials(ssl), args));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  auto stream = stub->Forward(&ctx);
  v1::PeerFrame frame;
  frame.mutable_call()->set_tenant_id(tenant_.tenant_id);
  frame.mutable_call()->set_connector_id(connector_->connector_id());
  frame.mutable_call()->mutable_request()->mutable_get_user()->set_username("user00001");
  stream->Write(frame);
  stream->WritesDone();
  v1::PeerReply reply;
  EXPECT_FALSE(stream->Read(&reply));
  grpc::Status st = stream->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();

  // The link that carries every other forwarded call refuses it too.
  grpc::ClientContext link_ctx;
  link_ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  auto link = stub->Link(&link_ctx);
  v1::LinkFrame call;
  call.mutable_call()->set_id(1);
  *call.mutable_call()->mutable_call() = frame.call();
  link->Write(call);
  link->WritesDone();
  v1::LinkReply answer;
  EXPECT_FALSE(link->Read(&answer));
  st = link->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  // It says it took no call, so an origin may send them elsewhere.
  auto last = link_ctx.GetServerTrailingMetadata().find("dirbridge-link-last-call");
  ASSERT_NE(last, link_ctx.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(last->second.data(), last->second.size()), "0");
}

// A forwarded call travels on the link shared by every call between two
// replicas: its deadline ends it on both, and the link carries the next.
TEST_F(ReplicasTest, AForwardedCallsDeadlineEndsItAndTheLinkCarriesOn) {
  ASSERT_TRUE(RunUntilConnected(*clouds_[0], tenant_.token, *connector_).ok());
  ASSERT_EQ(WaitForHolder(absl::Seconds(5)), 0);
  ASSERT_EQ(Login(*clouds_[1], 3), v1::AUTH_RESULT_OK);  // the link is up
  slapd_->Freeze();
  v1::GetUserRequest req;
  req.set_username("user00042");
  v1::User user;
  auto ctx = Ctx(tenant_.token);
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
  absl::Time sent = absl::Now();
  grpc::Status st = clouds_[1]->directory().GetUser(ctx.get(), req, &user);
  absl::Duration took = absl::Now() - sent;
  slapd_->Thaw();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << st.error_message();
  EXPECT_LT(took, absl::Seconds(3));
  // The holder was told: it answers the next calls through the same link.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Login(*clouds_[1], 10 + i), v1::AUTH_RESULT_OK);
  st = clouds_[1]->directory().GetUser(Ctx(tenant_.token).get(), req, &user);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(user.dn(), absl::StrCat("uid=user00042,ou=dept2,ou=people,", kSuffix));
}

TEST_F(ReplicasTest, SigkillOfTheHolderCostsNoLoginOnceItsConnectorsMoved) {
  connector_->SetCloudAddresses(TunnelAddresses());
  ASSERT_TRUE(RunUntilConnected(*clouds_[0], tenant_.token, *connector_).ok());
  int holder = WaitForHolder(absl::Seconds(5));
  ASSERT_GE(holder, 0);
  std::vector<const CloudSvc*> others;
  for (int i = 0; i < kReplicas; ++i) {
    if (i != holder) others.push_back(clouds_[i].get());
  }
  LoginLoad load(BackendChannel(others), tenant_.token);
  ASSERT_TRUE(WaitFor([&] { return load.ok() > 20; }, absl::Seconds(10)));
  absl::Time killed = absl::Now();
  clouds_[holder]->Kill();
  int moved_to = WaitForHolder(absl::Seconds(10), holder);
  absl::Duration failover = absl::Now() - killed;
  ASSERT_GE(moved_to, 0) << connector_->process().Log();
  std::printf("failover: connector on r%d again after %s\n", moved_to,
              absl::FormatDuration(failover).c_str());
  EXPECT_LT(failover, absl::Seconds(5));
  int before = load.ok();
  ASSERT_TRUE(WaitFor([&] { return load.ok() > before + 100; }, absl::Seconds(20)));
  load.Stop();
  EXPECT_THAT(load.FailuresSince(killed + absl::Seconds(5)), ::testing::IsEmpty());
  std::printf("logins failed during the failover: %zu\n", load.Failures().size());
  // A survivor reaps the dead replica and mourns its connector one dead
  // window later, on a heartbeat: only after that could an alert stand.
  const std::string reaped = absl::StrCat("event=replica_reaped replica=r", holder);
  ASSERT_TRUE(WaitFor(
      [&] {
        for (int i = 0; i < kReplicas; ++i) {
          if (i != holder && LinesWith(clouds_[i]->process().Log(), reaped) > 0) return true;
        }
        return false;
      },
      absl::Seconds(10)));
  absl::SleepFor(kHeartbeat * (kMissedBeats + 2));  // the dead window, its tick and a margin
  // It moved: no Not Connected alert stands for it.
  absl::StatusOr<std::vector<v1::Alert>> alerts = clouds_[moved_to]->Alerts(tenant_.token, true);
  ASSERT_TRUE(alerts.ok());
  EXPECT_THAT(*alerts, ::testing::IsEmpty());
}

TEST_F(ReplicasTest, RollingRestartFailsNoLogin) {
  connector_->SetCloudAddresses(TunnelAddresses());
  ASSERT_TRUE(RunUntilConnected(*clouds_[0], tenant_.token, *connector_).ok());
  ASSERT_GE(WaitForHolder(absl::Seconds(5)), 0);
  std::vector<const CloudSvc*> all;
  for (const auto& c : clouds_) all.push_back(c.get());
  LoginLoad load(BackendChannel(all), tenant_.token);
  ASSERT_TRUE(WaitFor([&] { return load.ok() > 20; }, absl::Seconds(10)));
  for (int i = 0; i < kReplicas; ++i) {
    SCOPED_TRACE(absl::StrCat("restarting r", i));
    clouds_[i]->Signal(SIGTERM);
    ASSERT_TRUE(clouds_[i]->process().Wait(absl::Seconds(20)).ok());
    ASSERT_TRUE(clouds_[i]->Restart().ok());
    int before = load.ok();
    ASSERT_TRUE(WaitFor([&] { return load.ok() > before + 30; }, absl::Seconds(20)));
    ASSERT_GE(WaitForHolder(absl::Seconds(5)), 0);
  }
  load.Stop();
  EXPECT_THAT(load.Failures(), ::testing::IsEmpty());
  std::printf("logins during the rolling restart: %d, failed: %zu\n", load.ok(),
              load.Failures().size());
  // Each holder in turn said Goaway; the connector moved each time.
  EXPECT_TRUE(absl::StrContains(connector_->process().Log(), "event=cloud_goaway"));
}

TEST_F(ReplicasTest, AConnectorGoneFromEveryReplicaRaisesOneAlert) {
  connector_->SetCloudAddresses(TunnelAddresses());
  ASSERT_TRUE(RunUntilConnected(*clouds_[0], tenant_.token, *connector_).ok());
  int holder = WaitForHolder(absl::Seconds(5));
  ASSERT_GE(holder, 0);
  connector_->Kill();
  // Mourned a dead-window (3 × 300 ms) after it left, by the replica that
  // held it; the others see the same alert in the store.
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<std::vector<v1::Alert>> a = clouds_[0]->Alerts(tenant_.token, true);
        return a.ok() && !a->empty();
      },
      absl::Seconds(10)));
  absl::SleepFor(absl::Seconds(2));  // the scenario: time for any second alert to appear
  for (int i = 0; i < kReplicas; ++i) {
    absl::StatusOr<std::vector<v1::Alert>> all = clouds_[i]->Alerts(tenant_.token, false);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 1u) << "r" << i;
    EXPECT_EQ((*all)[0].kind(), v1::ALERT_KIND_CONNECTOR_NOT_CONNECTED);
    EXPECT_TRUE(clouds_[i]->WaitForStatus(tenant_.token, connector_->connector_id(),
                                          v1::CONNECTOR_STATUS_NOT_CONNECTED, absl::Seconds(2)));
  }
}

TEST_F(ReplicasTest, AScheduledImportRunsOncePerIntervalAcrossReplicas) {
  for (auto& c : clouds_) {
    c->Kill();
  }
  // A fast scheduler on every replica: each one sees the run due.
  for (int i = 0; i < kReplicas; ++i) {
    ASSERT_TRUE(clouds_[i]->Start(Options(i, {"--scheduler_tick", "50ms"})).ok());
  }
  connector_ = std::make_unique<ConnectorSvc>(clouds_[0].get(), slapd_.get());
  ASSERT_TRUE(connector_->Register(tenant_.token, "dc2").ok());
  connector_->SetCloudAddresses(TunnelAddresses());
  ASSERT_TRUE(RunUntilConnected(*clouds_[0], tenant_.token, *connector_).ok());
  v1::CreateMappingRequest creq;
  creq.set_name("everyone");
  creq.set_base_dn(kSuffix);
  creq.mutable_sync_interval()->set_seconds(2);
  v1::Mapping mapping;
  auto mappings = v1::Mappings::NewStub(clouds_[1]->channel());
  // Before the mapping exists: no run can start earlier.
  const absl::Time created = absl::Now();
  grpc::Status st = mappings->CreateMapping(Ctx(tenant_.token).get(), creq, &mapping);
  ASSERT_TRUE(st.ok()) << st.error_message();
  const std::string started = absl::StrCat("event=import_start tenant=", tenant_.tenant_id,
                                           " mapping=", mapping.mapping_id());
  auto runs = [&] {
    int n = 0;
    for (auto& c : clouds_) n += LinesWith(c->process().Log(), started);
    return n;
  };
  constexpr int kRuns = 4;
  ASSERT_TRUE(WaitFor([&] { return runs() >= kRuns; }, absl::Seconds(30), absl::Milliseconds(100)))
      << runs() << " runs";
  const absl::Duration elapsed = absl::Now() - created;
  const int n = runs();
  std::printf("scheduled runs across %d replicas in %s: %d\n", kReplicas,
              absl::FormatDuration(elapsed).c_str(), n);
  // Once per interval: runs are at least the shortest interval (2 s - 10%
  // jitter) apart, so `elapsed` holds no more than this many. A run made
  // twice (by two replicas) reaches kRuns in half the time, over the bound.
  const absl::Duration shortest = absl::Seconds(2) * 0.9;
  EXPECT_LE(n, absl::FDivDuration(elapsed, shortest) + 1);
}

TEST_F(ReplicasTest, ARegistrationKeyIsRedeemedOnceAcrossReplicas) {
  v1::CreateConnectorRequest creq;
  creq.set_name("raced");
  v1::Connector c;
  ASSERT_TRUE(clouds_[0]->admin().CreateConnector(Ctx(tenant_.token).get(), creq, &c).ok());
  v1::GetRegistrationKeyRequest kreq;
  kreq.set_connector_id(c.connector_id());
  v1::GetRegistrationKeyResponse key;
  ASSERT_TRUE(clouds_[0]->admin().GetRegistrationKey(Ctx(tenant_.token).get(), kreq, &key).ok());
  std::atomic<int> succeeded{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < kReplicas; ++i) {
    racers.emplace_back([&, i] {
      std::string dir = MakeTempDir("raced");
      int code = -1;
      absl::StatusOr<std::string> out = RunCommand(
          {ConnectorBinary(), "register", "--cloud", clouds_[i]->tunnel_address(), "--state_dir",
           dir + "/state", "--ca_sha256", key.ca_sha256()},
          &code, {"DIRBRIDGE_REGISTRATION_KEY=" + key.registration_key()});
      if (out.ok() && code == 0) ++succeeded;
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(succeeded.load(), 1);
}

TEST_F(ReplicasTest, PostgresStoppedMeansUnavailableThenRecoveryWithoutRestart) {
  connector_->SetCloudAddresses(TunnelAddresses());
  ASSERT_TRUE(RunUntilConnected(*clouds_[0], tenant_.token, *connector_).ok());
  // A replica logs the first of a run of failed heartbeats: the stop must
  // add one to each replica's count.
  constexpr char kBeatFailed[] = "event=replica_heartbeat_failed";
  std::vector<int> beats_failed;
  for (auto& c : clouds_) beats_failed.push_back(LinesWith(c->process().Log(), kBeatFailed));
  ASSERT_TRUE(pg_->Stop().ok());
  for (int i = 0; i < kReplicas; ++i) {
    v1::ListConnectorsResponse resp;
    grpc::Status st = clouds_[i]->admin().ListConnectors(Ctx(tenant_.token, absl::Seconds(15)).get(),
                                                         v1::ListConnectorsRequest(), &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << "r" << i << ": "
                                                              << st.error_message();
  }
  // The scenario: every replica's heartbeats fail while the store is away.
  for (int i = 0; i < kReplicas; ++i) {
    EXPECT_TRUE(WaitFor(
        [&] { return LinesWith(clouds_[i]->process().Log(), kBeatFailed) > beats_failed[i]; },
        absl::Seconds(10)))
        << "r" << i << " logged no failed heartbeat";
  }
  ASSERT_TRUE(pg_->Start().ok());
  for (int i = 0; i < kReplicas; ++i) {
    EXPECT_FALSE(clouds_[i]->process().Wait(absl::ZeroDuration()).ok())
        << "r" << i << " exited: " << clouds_[i]->process().Log();
    EXPECT_TRUE(clouds_[i]->WaitForStatus(tenant_.token, connector_->connector_id(),
                                          v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(20)))
        << "r" << i;
    EXPECT_EQ(Login(*clouds_[i], 11 + i), v1::AUTH_RESULT_OK);
  }
}

}  // namespace
}  // namespace dirbridge::testing
