// The foundation end to end: real slapd, cloud_svc and connector_svc.

#include <signal.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

class TunnelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SlapdOptions opts;
    opts.extra_suffixes = {"dc=other,dc=org"};
    absl::Status st = stack_.Start(opts);
    ASSERT_TRUE(st.ok()) << st;
    st = stack_.RunConnector();
    ASSERT_TRUE(st.ok()) << st;
  }

  grpc::Status ListNamingContexts(v1::ListNamingContextsResponse* out,
                                  absl::Duration timeout = absl::Seconds(10)) {
    return cloud_.directory().ListNamingContexts(Ctx(tenant_.token, timeout).get(), {}, out);
  }

  std::vector<v1::Alert> NotConnectedAlerts(bool active_only) {
    absl::StatusOr<std::vector<v1::Alert>> all = cloud_.Alerts(tenant_.token, active_only);
    std::vector<v1::Alert> out;
    if (!all.ok()) return out;
    for (const v1::Alert& a : *all) {
      if (a.kind() == v1::ALERT_KIND_CONNECTOR_NOT_CONNECTED &&
          a.connector_id() == connector_->connector_id()) {
        out.push_back(a);
      }
    }
    return out;
  }

  Stack stack_;
  std::unique_ptr<Slapd>& slapd_ = stack_.slapd;
  CloudSvc& cloud_ = stack_.cloud;
  Tenant& tenant_ = stack_.tenant;
  std::unique_ptr<ConnectorSvc>& connector_ = stack_.connector;
};

TEST_F(TunnelTest, ConnectedConnectorShowsWhatItSaidInHello) {
  absl::StatusOr<v1::Connector> c = cloud_.GetConnector(tenant_.token, connector_->connector_id());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status(), v1::CONNECTOR_STATUS_CONNECTED);
  EXPECT_EQ(c->name(), "dc1");
  EXPECT_FALSE(c->version().empty());
  EXPECT_FALSE(c->hostname().empty());
  EXPECT_TRUE(c->ldap_ok());
  EXPECT_TRUE(c->has_last_seen());
}

TEST_F(TunnelTest, ListNamingContextsEqualsSlapdRootDse) {
  absl::StatusOr<std::string> ldif =
      slapd_->Search("", "base", "(objectClass=*)", {"namingContexts"});
  ASSERT_TRUE(ldif.ok()) << ldif.status();
  std::vector<std::string> expected;
  for (absl::string_view line : absl::StrSplit(*ldif, '\n')) {
    if (absl::ConsumePrefix(&line, "namingContexts: ")) expected.emplace_back(line);
  }
  ASSERT_EQ(expected.size(), 2u) << *ldif;

  v1::ListNamingContextsResponse resp;
  grpc::Status st = ListNamingContexts(&resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_THAT(resp.naming_contexts(), UnorderedElementsAreArray(expected));
}

TEST_F(TunnelTest, TwoHundredConcurrentCallsEachGetTheirOwnAnswer) {
  constexpr int kCalls = 200;
  struct Pending {
    grpc::ClientContext ctx;
    v1::PingConnectorRequest req;
    v1::PingConnectorResponse resp;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Pending>> calls;
  absl::Mutex mu;
  int done = 0;
  for (int i = 0; i < kCalls; ++i) {
    auto p = std::make_unique<Pending>();
    p->ctx.AddMetadata("authorization", "Bearer " + tenant_.token);
    p->ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    p->req.set_payload(absl::StrCat("payload-", i, "-", std::string(i % 7 * 100, 'x')));
    calls.push_back(std::move(p));
  }
  // All started before any is awaited: they share the one tunnel stream.
  for (auto& p : calls) {
    Pending* raw = p.get();
    cloud_.admin().async()->PingConnector(&raw->ctx, &raw->req, &raw->resp,
                                          [&mu, &done, raw](grpc::Status s) {
                                            absl::MutexLock lock(&mu);
                                            raw->status = std::move(s);
                                            ++done;
                                          });
  }
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(
        absl::Condition(+[](int* d) { return *d == kCalls; }, &done), absl::Seconds(60)));
  }
  for (auto& p : calls) {
    ASSERT_TRUE(p->status.ok()) << p->status.error_message();
    EXPECT_EQ(p->resp.payload(), p->req.payload());
    EXPECT_EQ(p->resp.connector_id(), connector_->connector_id());
  }
}

TEST_F(TunnelTest, KilledConnectorIsNotConnectedWithAlertThenRecovers) {
  connector_->Kill();  // SIGKILL: no goodbye
  absl::Time killed = absl::Now();
  ASSERT_TRUE(cloud_.WaitForStatus(tenant_.token, connector_->connector_id(),
                                   v1::CONNECTOR_STATUS_NOT_CONNECTED, absl::Seconds(5)));
  // The closed TCP connection tells at once; heartbeats are the backstop.
  EXPECT_LT(absl::Now() - killed, absl::Seconds(2));
  ASSERT_TRUE(WaitFor([&] { return !NotConnectedAlerts(true).empty(); }, absl::Seconds(2)));
  EXPECT_THAT(NotConnectedAlerts(true).front().message(), HasSubstr("dc1"));

  // Calls fail fast, not at their deadline.
  v1::ListNamingContextsResponse resp;
  absl::Time start = absl::Now();
  grpc::Status st = ListNamingContexts(&resp, absl::Seconds(10));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(st.error_message(), HasSubstr("no connector"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));

  {
    absl::Status st = RunUntilConnected(cloud_, tenant_.token, *connector_);
    ASSERT_TRUE(st.ok()) << st;
  }
  ASSERT_TRUE(WaitFor([&] { return NotConnectedAlerts(true).empty(); }, absl::Seconds(2)));
  std::vector<v1::Alert> history = NotConnectedAlerts(false);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_TRUE(history[0].has_cleared_at());
  EXPECT_TRUE(ListNamingContexts(&resp).ok());
}

TEST_F(TunnelTest, FrozenConnectorIsNoticedByHeartbeats) {
  // SIGSTOP keeps the TCP connection open: only missed pings can tell.
  connector_->Signal(SIGSTOP);
  absl::Time stopped = absl::Now();
  ASSERT_TRUE(cloud_.WaitForStatus(tenant_.token, connector_->connector_id(),
                                   v1::CONNECTOR_STATUS_NOT_CONNECTED, absl::Seconds(5)));
  absl::Duration took = absl::Now() - stopped;
  EXPECT_GE(took, absl::Milliseconds(1200));  // not before ~3 intervals of 500 ms
  EXPECT_LT(took, absl::Seconds(3));
  EXPECT_FALSE(NotConnectedAlerts(true).empty());
  connector_->Signal(SIGCONT);
  EXPECT_TRUE(cloud_.WaitForStatus(tenant_.token, connector_->connector_id(),
                                   v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(10)));
}

TEST_F(TunnelTest, CloudRestartOnSameDataDirKeepsStateAndConnectorReturns) {
  connector_->Kill();
  ASSERT_TRUE(WaitFor([&] { return !NotConnectedAlerts(true).empty(); }, absl::Seconds(5)));
  {
    absl::Status st = RunUntilConnected(cloud_, tenant_.token, *connector_);
    ASSERT_TRUE(st.ok()) << st;
  }

  cloud_.Kill();  // SIGKILL
  ASSERT_TRUE(cloud_.Restart().ok());
  absl::Time restarted = absl::Now();
  // Same tenant token, same connector, no operator action.
  ASSERT_TRUE(cloud_.WaitForStatus(tenant_.token, connector_->connector_id(),
                                   v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(5)))
      << connector_->process().Log();
  EXPECT_LT(absl::Now() - restarted, absl::Seconds(5));
  EXPECT_EQ(NotConnectedAlerts(false).size(), 1u);  // the history survived
  v1::ListNamingContextsResponse resp;
  EXPECT_TRUE(ListNamingContexts(&resp).ok());
}

TEST_F(TunnelTest, DeadlineShorterThanTheWorkEndsTheCallOnTime) {
  slapd_->Freeze();
  v1::ListNamingContextsResponse resp;
  absl::Time start = absl::Now();
  grpc::Status st = ListNamingContexts(&resp, absl::Milliseconds(700));
  absl::Duration took = absl::Now() - start;
  slapd_->Thaw();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(took, absl::Milliseconds(700) + absl::Milliseconds(300));
  // The connector abandoned the stuck search; it serves again once LDAP does.
  ASSERT_TRUE(WaitFor([&] { return ListNamingContexts(&resp, absl::Seconds(5)).ok(); },
                      absl::Seconds(10)));
  EXPECT_EQ(resp.naming_contexts_size(), 2);
}

TEST_F(TunnelTest, SigtermOnConnectorDrainsTheCallInFlight) {
  slapd_->Freeze();
  v1::ListNamingContextsResponse resp;
  grpc::Status st;
  std::thread call([&] { st = ListNamingContexts(&resp, absl::Seconds(6)); });
  // The search is stuck in the frozen slapd once the connector took the call.
  ASSERT_TRUE(WaitFor([&] {
    return connector_->process().Log().find("event=call_start") != std::string::npos;
  }, absl::Seconds(5)));
  connector_->Signal(SIGTERM);
  ASSERT_TRUE(WaitFor([&] {
    return connector_->process().Log().find("event=stopping") != std::string::npos;
  }, absl::Seconds(5)));
  slapd_->Thaw();
  call.join();
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.naming_contexts_size(), 2);
  absl::StatusOr<int> code = connector_->process().Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
}

TEST_F(TunnelTest, SigtermOnCloudDrainsTheCallInFlight) {
  slapd_->Freeze();
  v1::ListNamingContextsResponse resp;
  grpc::Status st;
  std::thread call([&] { st = ListNamingContexts(&resp, absl::Seconds(6)); });
  ASSERT_TRUE(WaitFor([&] {
    return connector_->process().Log().find("event=call_start") != std::string::npos;
  }, absl::Seconds(5)));
  cloud_.Signal(SIGTERM);
  ASSERT_TRUE(WaitFor([&] {
    return cloud_.process().Log().find("event=stopping") != std::string::npos;
  }, absl::Seconds(5)));
  // New calls are turned away while the old one drains.
  v1::PingConnectorResponse pong;
  grpc::Status late = cloud_.admin().PingConnector(Ctx(tenant_.token).get(), {}, &pong);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::UNAVAILABLE);
  slapd_->Thaw();
  call.join();
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.naming_contexts_size(), 2);
  absl::StatusOr<int> code = cloud_.process().Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
}

TEST_F(TunnelTest, SigtermOnCloudStopsCleanly) {
  cloud_.Signal(SIGTERM);
  absl::StatusOr<int> code = cloud_.process().Wait(absl::Seconds(15));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  EXPECT_THAT(cloud_.process().Log(), HasSubstr("event=stopped"));
  // A shutdown of our own is not the connector's fault: no alert.
  ASSERT_TRUE(cloud_.Restart().ok());
  ASSERT_TRUE(cloud_.WaitForStatus(tenant_.token, connector_->connector_id(),
                                   v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(5)));
  EXPECT_TRUE(NotConnectedAlerts(false).empty());
}

}  // namespace
}  // namespace dirbridge::testing
