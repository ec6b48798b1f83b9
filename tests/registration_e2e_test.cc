// Registration keys and connector deletion, against real processes.

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

class RegistrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(slapd_.Start().ok());
    ASSERT_TRUE(cloud_.Start().ok());
    absl::StatusOr<Tenant> t = cloud_.CreateTenant("acme");
    ASSERT_TRUE(t.ok());
    tenant_ = *t;
  }

  std::string NewConnector(const std::string& name) {
    v1::CreateConnectorRequest req;
    req.set_name(name);
    v1::Connector c;
    EXPECT_TRUE(cloud_.admin().CreateConnector(Ctx(tenant_.token).get(), req, &c).ok());
    return c.connector_id();
  }

  std::string Key(const std::string& connector_id, absl::Duration ttl = absl::ZeroDuration()) {
    v1::GetRegistrationKeyRequest req;
    req.set_connector_id(connector_id);
    if (ttl > absl::ZeroDuration()) {
      req.mutable_ttl()->set_seconds(absl::ToInt64Seconds(ttl));
    }
    v1::GetRegistrationKeyResponse resp;
    grpc::Status st = cloud_.admin().GetRegistrationKey(Ctx(tenant_.token).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.registration_key().size(), 43u);  // 256 bits, base64url
    return resp.registration_key();
  }

  grpc::Status Redeem(const std::string& key, v1::RegisterResponse* out = nullptr) {
    v1::RegisterRequest req;
    req.set_registration_key(key);
    req.set_hostname("test");
    v1::RegisterResponse resp;
    grpc::ClientContext ctx;
    grpc::Status st = cloud_.tunnel().Register(&ctx, req, &resp);
    if (out) *out = resp;
    return st;
  }

  Slapd slapd_;
  CloudSvc cloud_;
  Tenant tenant_;
};

TEST_F(RegistrationTest, KeyWorksOnceAndRefusalsAllReadTheSame) {
  std::string id = NewConnector("dc1");
  std::string key = Key(id);
  v1::RegisterResponse resp;
  ASSERT_TRUE(Redeem(key, &resp).ok());
  EXPECT_EQ(resp.connector_id(), id);
  EXPECT_EQ(resp.tenant_id(), tenant_.tenant_id);
  EXPECT_FALSE(resp.credential().empty());

  grpc::Status reused = Redeem(key);
  grpc::Status garbage = Redeem("not-a-key");
  grpc::Status empty = Redeem("");
  grpc::Status huge = Redeem(std::string(10000, 'k'));
  for (const grpc::Status& st : {reused, garbage, empty, huge}) {
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    // One message for every refusal: it never tells whether a connector exists.
    EXPECT_EQ(st.error_message(), reused.error_message());
  }
}

TEST_F(RegistrationTest, NewKeyRevokesThePreviousOne) {
  std::string id = NewConnector("dc1");
  std::string first = Key(id);
  std::string second = Key(id);
  EXPECT_NE(first, second);
  grpc::Status revoked = Redeem(first);
  EXPECT_EQ(revoked.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Redeem(second).ok());
}

TEST_F(RegistrationTest, ExpiredKeyIsRefused) {
  std::string id = NewConnector("dc1");
  std::string key = Key(id, absl::Seconds(1));
  // Expiry is a matter of the clock; nothing else to wait on.
  absl::SleepFor(absl::Milliseconds(1100));
  grpc::Status st = Redeem(key);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(st.error_message(), Redeem("garbage").error_message());
}

TEST_F(RegistrationTest, AnotherTenantsConnectorGetsNoKey) {
  std::string id = NewConnector("dc1");
  absl::StatusOr<Tenant> other = cloud_.CreateTenant("globex");
  ASSERT_TRUE(other.ok());
  v1::GetRegistrationKeyRequest req;
  req.set_connector_id(id);
  v1::GetRegistrationKeyResponse resp;
  grpc::Status st = cloud_.admin().GetRegistrationKey(Ctx(other->token).get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  req.set_connector_id("0123456789abcdef0123456789abcdef");
  grpc::Status unknown = cloud_.admin().GetRegistrationKey(Ctx(other->token).get(), req, &resp);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RegistrationTest, DeletedConnectorIsCutOffAndCannotReturn) {
  ConnectorSvc connector(&cloud_, &slapd_);
  ASSERT_TRUE(connector.Register(tenant_.token, "dc1").ok());
  {
    absl::Status st = RunUntilConnected(cloud_, tenant_.token, connector);
    ASSERT_TRUE(st.ok()) << st;
  }
  // A key issued before the delete must die with the connector too.
  std::string pending_key = Key(connector.connector_id());

  v1::DeleteConnectorRequest del;
  del.set_connector_id(connector.connector_id());
  v1::DeleteConnectorResponse dresp;
  ASSERT_TRUE(cloud_.admin().DeleteConnector(Ctx(tenant_.token).get(), del, &dresp).ok());

  // Gone from the listing, and its session closed at once.
  v1::ListConnectorsResponse list;
  ASSERT_TRUE(cloud_.admin().ListConnectors(Ctx(tenant_.token).get(), {}, &list).ok());
  EXPECT_EQ(list.connectors_size(), 0);
  v1::ListNamingContextsResponse nc;
  grpc::Status st = cloud_.directory().ListNamingContexts(Ctx(tenant_.token).get(), {}, &nc);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);

  // It keeps knocking and is refused every time.
  ASSERT_TRUE(WaitFor([&] {
    return connector.process().Log().find("event=tunnel_refused") != std::string::npos;
  }, absl::Seconds(10))) << connector.process().Log();
  EXPECT_EQ(Redeem(pending_key).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  st = cloud_.admin().DeleteConnector(Ctx(tenant_.token).get(), del, &dresp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  // Deleting is not a drop: no alert for it.
  absl::StatusOr<std::vector<v1::Alert>> alerts = cloud_.Alerts(tenant_.token, true);
  ASSERT_TRUE(alerts.ok());
  EXPECT_TRUE(alerts->empty());
}

TEST_F(RegistrationTest, ConnectWithoutOrWithBadCredentialIsRefused) {
  for (const std::string& cred : {std::string(), std::string("forged-credential")}) {
    grpc::ClientContext ctx;
    if (!cred.empty()) ctx.AddMetadata("x-dirbridge-connector-credential", cred);
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    auto stream = cloud_.tunnel().Connect(&ctx);
    v1::ConnectorFrame hello;
    hello.mutable_hello()->set_protocol_revision(1);
    stream->Write(hello);
    v1::CloudFrame frame;
    EXPECT_FALSE(stream->Read(&frame));
    grpc::Status st = stream->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << st.error_message();
  }
}

TEST_F(RegistrationTest, RegisterCommandExplainsBadInput) {
  int code = 0;
  absl::StatusOr<std::string> out = RunCommand({ConnectorBinary(), "register"}, &code);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(code, 0);
  EXPECT_THAT(*out, HasSubstr("--cloud"));
  EXPECT_THAT(*out, HasSubstr("--state_dir"));
  std::string dir = MakeTempDir("reg");
  out = RunCommand({ConnectorBinary(), "register", "--cloud", cloud_.tunnel_address(),
                    "--state_dir", dir + "/state", "--insecure", "--key", "wrong"},
                   &code);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(code, 0);
  EXPECT_THAT(*out, HasSubstr("registration key is not valid"));
  out = RunCommand({ConnectorBinary(), "--help"}, &code);
  EXPECT_THAT(*out, HasSubstr("register --cloud HOST:PORT"));
}

}  // namespace
}  // namespace dirbridge::testing
