// How the connector reaches its LDAP servers, end to end against real
// slapds: ldaps and StartTLS with a test CA (another CA refused), failover
// to the next server, and connections the server closed when idle.

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

class DirectoryTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SlapdOptions opts;
    opts.users = 5;
    opts.tls = true;
    absl::Status st = stack_.Start(opts);
    ASSERT_TRUE(st.ok()) << st;
  }

  grpc::Status GetUserWith(const std::string& uri, const std::string& tls,
                           const std::string& ca) {
    connector_->Kill();
    ConnectorSvc::Ldap ldap;
    ldap.uris = {uri};
    ldap.tls = tls;
    ldap.ca_file = ca;
    connector_->SetLdap(ldap);
    EXPECT_TRUE(connector_->Run().ok());
    EXPECT_TRUE(cloud_.WaitForStatus(tenant_.token, connector_->connector_id(),
                                     v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(10)));
    v1::GetUserRequest req;
    req.set_username("user00001");
    v1::User u;
    return cloud_.directory().GetUser(Ctx(tenant_.token).get(), req, &u);
  }

  Stack stack_;
  std::unique_ptr<Slapd>& slapd_ = stack_.slapd;
  CloudSvc& cloud_ = stack_.cloud;
  Tenant& tenant_ = stack_.tenant;
  std::unique_ptr<ConnectorSvc>& connector_ = stack_.connector;
};

TEST_F(DirectoryTlsTest, LdapsWithTheRightCa) {
  grpc::Status st = GetUserWith(slapd_->ldaps_uri(), "ldaps", slapd_->ca_file());
  EXPECT_TRUE(st.ok()) << st.error_message() << connector_->process().Log();
}

TEST_F(DirectoryTlsTest, StartTlsWithTheRightCa) {
  grpc::Status st = GetUserWith(slapd_->uri(), "starttls", slapd_->ca_file());
  EXPECT_TRUE(st.ok()) << st.error_message() << connector_->process().Log();
}

TEST_F(DirectoryTlsTest, CertificateFromAnotherCaIsRefused) {
  grpc::Status ldaps = GetUserWith(slapd_->ldaps_uri(), "ldaps", slapd_->other_ca_file());
  EXPECT_EQ(ldaps.error_code(), grpc::StatusCode::UNAVAILABLE) << ldaps.error_message();
  grpc::Status starttls = GetUserWith(slapd_->uri(), "starttls", slapd_->other_ca_file());
  EXPECT_EQ(starttls.error_code(), grpc::StatusCode::UNAVAILABLE) << starttls.error_message();
}

// Two servers with the same data, tried in order.
TEST(DirectoryFailoverTest, SecondServerTakesOverAndBothDownIsUnavailable) {
  SlapdOptions opts;
  opts.users = 50;
  Stack stack;
  absl::Status started = stack.Start(opts, {}, /*with_replica=*/true);
  ASSERT_TRUE(started.ok()) << started;
  started = stack.RunConnector();
  ASSERT_TRUE(started.ok()) << started;
  Slapd& first = *stack.slapd;
  Slapd& second = *stack.replica;
  CloudSvc& cloud = stack.cloud;
  const Tenant* t = &stack.tenant;
  auto get = [&](const std::string& name, v1::User* u) {
    v1::GetUserRequest req;
    req.set_username(name);
    return cloud.directory().GetUser(Ctx(t->token).get(), req, u);
  };
  v1::User u;
  ASSERT_TRUE(get("user00001", &u).ok());
  first.Stop();
  for (int i = 2; i <= 6; ++i) {
    grpc::Status st = get(absl::StrFormat("user%05d", i), &u);
    EXPECT_TRUE(st.ok()) << st.error_message();
  }
  second.Stop();
  grpc::Status st = get("user00007", &u);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(st.error_message(), HasSubstr(first.uri()));
  EXPECT_THAT(st.error_message(), HasSubstr(second.uri()));
  ASSERT_TRUE(second.Restart().ok());
  ASSERT_TRUE(WaitFor([&] { return get("user00008", &u).ok(); }, absl::Seconds(10)));
}

// AD drops connections idle for 900 s; slapd's idletimeout does the same.
TEST(DirectoryIdleTest, ConnectionClosedByTheServerIsReplacedTransparently) {
  SlapdOptions opts;
  opts.users = 5;
  opts.extra_global_config = "idletimeout 1";
  Slapd slapd(opts);
  ASSERT_TRUE(slapd.Start().ok());
  CloudSvc cloud;
  ASSERT_TRUE(cloud.Start().ok());
  absl::StatusOr<Tenant> t = cloud.CreateTenant("acme");
  ASSERT_TRUE(t.ok());
  ConnectorSvc connector(&cloud, &slapd);
  ASSERT_TRUE(connector.Register(t->token, "dc").ok());
  {
    absl::Status st = RunUntilConnected(cloud, t->token, connector);
    ASSERT_TRUE(st.ok()) << st;
  }
  v1::GetUserRequest req;
  req.set_username("user00001");
  v1::User u;
  ASSERT_TRUE(cloud.directory().GetUser(Ctx(t->token).get(), req, &u).ok());
  // Idling past the server's timeout is the scenario itself.
  absl::SleepFor(absl::Milliseconds(2500));
  for (int i = 0; i < 3; ++i) {
    grpc::Status st = cloud.directory().GetUser(Ctx(t->token).get(), req, &u);
    EXPECT_TRUE(st.ok()) << st.error_message();
  }
}

}  // namespace
}  // namespace dirbridge::testing
