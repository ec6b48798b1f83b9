// What operators rely on: metrics, logs that join both sides of a call,
// proxies, and a connector one protocol revision behind.

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "dirbridge/v1/auth.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/connect_proxy.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

// The value of one series in a Prometheus text page (0 when absent).
double Series(const std::string& page, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double v = 0;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &v)) return v;
    }
  }
  return 0;
}

int PortFromLog(const std::string& log) {
  size_t at = log.find("event=metrics_listening port=");
  int port = 0;
  if (at == std::string::npos) return 0;
  std::string rest = log.substr(at + 29);
  absl::SimpleAtoi(rest.substr(0, rest.find('\n')), &port);
  return port;
}

std::string Scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/metrics");
  return res && res->status == 200 ? res->body : "";
}

class OperationsTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> cloud_flags = {}) {
    SlapdOptions opts;
    opts.users = 10;
    CloudSvc::Options co;
    co.extra_flags = std::move(cloud_flags);
    absl::Status st = stack_.Start(opts, co);
    ASSERT_TRUE(st.ok()) << st;
  }
  void Connected() {
    ASSERT_TRUE(cloud_.WaitForStatus(tenant_.token, connector_->connector_id(),
                                     v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(10)))
        << connector_->process().Log();
  }
  grpc::Status Login(const std::string& user, const std::string& pw) {
    auto auth = v1::Auth::NewStub(cloud_.channel());
    v1::AuthenticateRequest req;
    req.set_username(user);
    req.set_password(pw);
    v1::AuthenticateResponse resp;
    return auth->Authenticate(Ctx(tenant_.token).get(), req, &resp);
  }

  Stack stack_;
  std::unique_ptr<Slapd>& slapd_ = stack_.slapd;
  CloudSvc& cloud_ = stack_.cloud;
  Tenant& tenant_ = stack_.tenant;
  std::unique_ptr<ConnectorSvc>& connector_ = stack_.connector;
};

TEST_F(OperationsTest, MetricsMoveOnBothSides) {
  Start({"--metrics_addr", "127.0.0.1:0"});
  std::string config = ReadFileOrEmpty(connector_->config_path());
  WriteFile(connector_->config_path(), config + "metrics_addr: 127.0.0.1:0\n");
  ASSERT_TRUE(connector_->Run().ok());
  Connected();
  int cloud_port = PortFromLog(cloud_.process().Log());
  int conn_port = PortFromLog(connector_->process().Log());
  ASSERT_GT(cloud_port, 0);
  ASSERT_GT(conn_port, 0);
  std::string before = Scrape(cloud_port);
  EXPECT_EQ(Series(before, "dirbridge_connectors_connected{tenant=\"" + tenant_.tenant_id + "\"}"), 1);
  ASSERT_TRUE(Login("user00001", "pw-user00001").ok());
  ASSERT_TRUE(Login("user00001", "wrong").ok());
  std::string after = Scrape(cloud_port);
  EXPECT_EQ(Series(after, "dirbridge_calls_total{method=\"authenticate\",code=\"OK\"}") -
                Series(before, "dirbridge_calls_total{method=\"authenticate\",code=\"OK\"}"),
            2);
  EXPECT_GE(Series(after, "dirbridge_call_seconds_count{method=\"authenticate\"}"), 2);
  std::string c = Scrape(conn_port);
  EXPECT_EQ(Series(c, "dirbridge_connector_calls_total{kind=\"authenticate\",code=\"OK\"}"), 2);
  EXPECT_GE(Series(c, "dirbridge_ldap_operation_seconds_count{server=\"" + slapd_->uri() + "\"}"), 4);
  // A dropped tunnel shows as a reconnect.
  double reconnects = Series(c, "dirbridge_tunnel_reconnects_total");
  cloud_.Kill();
  ASSERT_TRUE(cloud_.Restart().ok());
  Connected();
  EXPECT_GT(Series(Scrape(conn_port), "dirbridge_tunnel_reconnects_total"), reconnects);
}

TEST_F(OperationsTest, OneCallIdInBothLogsAndJsonLines) {
  Start({"--log_format", "json"});
  ASSERT_TRUE(connector_->Run().ok());
  Connected();
  ASSERT_TRUE(Login("user00002", "pw-user00002").ok());
  std::string cloud_log = cloud_.process().Log();
  size_t at = cloud_log.find("event=call_routed call_id=");
  ASSERT_NE(at, std::string::npos);
  std::string id = cloud_log.substr(at + 26, cloud_log.find(' ', at + 26) - at - 26);
  EXPECT_THAT(connector_->process().Log(), HasSubstr("event=call_start call_id=" + id + " "));
  // Every cloud line is one JSON object, and the password is in none.
  for (absl::string_view line : absl::StrSplit(cloud_log, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "{\"ts\":\"") && absl::EndsWith(line, "\"}")) << line;
  }
  EXPECT_EQ(cloud_log.find("pw-user00002"), std::string::npos);
}

TEST_F(OperationsTest, ConnectorGoesThroughAnHttpConnectProxy) {
  Start();
  ConnectProxy proxy;
  ASSERT_TRUE(proxy.Start().ok());
  ASSERT_TRUE(connector_
                  ->Run({}, {absl::StrCat("https_proxy=http://127.0.0.1:", proxy.port()),
                             absl::StrCat("grpc_proxy=http://127.0.0.1:", proxy.port())})
                  .ok());
  Connected();
  EXPECT_GE(proxy.tunnels(), 1);
  EXPECT_TRUE(Login("user00003", "pw-user00003").ok());
}

TEST_F(OperationsTest, ConnectorOneRevisionOlderStillWorks) {
  Start();
  ASSERT_TRUE(connector_->Run({"--protocol_revision", "1"}).ok());
  Connected();
  absl::StatusOr<v1::Connector> c = cloud_.GetConnector(tenant_.token, connector_->connector_id());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->protocol_revision(), 1u);
  EXPECT_TRUE(Login("user00004", "pw-user00004").ok());
  // Older than the cloud accepts: refused with a hint.
  connector_->Kill();
  ASSERT_TRUE(connector_->Run({"--protocol_revision", "0"}).ok());
  ASSERT_TRUE(WaitFor([&] { return connector_->process().Log().find("upgrade the connector") !=
                                   std::string::npos; },
                      absl::Seconds(10)));
}

TEST(CloudFlagsTest, StreamCreditsOutOfRangeIsRefusedAtStart) {
  for (const char* bad : {"0", "65"}) {
    CloudSvc cloud;
    CloudSvc::Options o;
    o.extra_flags = {"--stream_credits", bad};
    absl::Status st = cloud.Start(o);
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_THAT(std::string(st.message()), HasSubstr("--stream_credits must be from 1 to 64"));
  }
}

}  // namespace
}  // namespace dirbridge::testing
