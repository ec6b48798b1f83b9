// Bearer tokens and tenant walls on the backend listener.

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {
namespace {

class TenantWallsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(slapd_.Start().ok());
    ASSERT_TRUE(cloud_.Start().ok());
    absl::StatusOr<Tenant> a = cloud_.CreateTenant("tenant-a");
    absl::StatusOr<Tenant> b = cloud_.CreateTenant("tenant-b");
    ASSERT_TRUE(a.ok() && b.ok());
    a_ = *a;
    b_ = *b;
    b_connector_ = std::make_unique<ConnectorSvc>(&cloud_, &slapd_);
    ASSERT_TRUE(b_connector_->Register(b_.token, "b-dc1").ok());
    ASSERT_TRUE(b_connector_->Run().ok());
    ASSERT_TRUE(cloud_.WaitForStatus(b_.token, b_connector_->connector_id(),
                                     v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(10)));
  }

  // Every backend method of this build, called with `token`; their codes.
  std::vector<std::pair<std::string, grpc::StatusCode>> CallEverything(
      const std::string& token, const std::string& connector_id) {
    std::vector<std::pair<std::string, grpc::StatusCode>> out;
    auto& admin = cloud_.admin();
    {
      v1::CreateConnectorRequest r;
      r.set_name("x");
      v1::Connector resp;
      out.emplace_back("CreateConnector",
                       admin.CreateConnector(Ctx(token).get(), r, &resp).error_code());
    }
    {
      v1::GetRegistrationKeyRequest r;
      r.set_connector_id(connector_id);
      v1::GetRegistrationKeyResponse resp;
      out.emplace_back("GetRegistrationKey",
                       admin.GetRegistrationKey(Ctx(token).get(), r, &resp).error_code());
    }
    {
      v1::ListConnectorsResponse resp;
      out.emplace_back("ListConnectors",
                       admin.ListConnectors(Ctx(token).get(), {}, &resp).error_code());
    }
    {
      v1::DeleteConnectorRequest r;
      r.set_connector_id(connector_id);
      v1::DeleteConnectorResponse resp;
      out.emplace_back("DeleteConnector",
                       admin.DeleteConnector(Ctx(token).get(), r, &resp).error_code());
    }
    {
      v1::ListAlertsResponse resp;
      out.emplace_back("ListAlerts", admin.ListAlerts(Ctx(token).get(), {}, &resp).error_code());
    }
    {
      v1::PingConnectorRequest r;
      r.set_connector_id(connector_id);
      v1::PingConnectorResponse resp;
      out.emplace_back("PingConnector",
                       admin.PingConnector(Ctx(token).get(), r, &resp).error_code());
    }
    {
      v1::ListNamingContextsResponse resp;
      out.emplace_back("ListNamingContexts",
                       cloud_.directory().ListNamingContexts(Ctx(token).get(), {}, &resp)
                           .error_code());
    }
    return out;
  }

  Slapd slapd_;
  CloudSvc cloud_;
  Tenant a_, b_;
  std::unique_ptr<ConnectorSvc> b_connector_;
};

TEST_F(TenantWallsTest, NoTokenOrBadTokenIsUnauthenticated) {
  for (const std::string& token : {std::string(), std::string("forged"),
                                   a_.token + "x"}) {
    for (auto& [method, code] : CallEverything(token, b_connector_->connector_id())) {
      EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED) << method << " token=" << token;
    }
  }
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Basic " + a_.token);
  v1::ListConnectorsResponse resp;
  EXPECT_EQ(cloud_.admin().ListConnectors(&ctx, {}, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TenantWallsTest, TenantATokenNeverReachesTenantB) {
  for (auto& [method, code] : CallEverything(a_.token, b_connector_->connector_id())) {
    if (method == "CreateConnector" || method == "ListConnectors" || method == "ListAlerts") {
      EXPECT_EQ(code, grpc::StatusCode::OK) << method;  // on A's own (empty) tenant
    } else if (method == "ListNamingContexts") {
      EXPECT_EQ(code, grpc::StatusCode::UNAVAILABLE) << method;  // A has no connector
    } else {
      EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND) << method;
    }
  }
  v1::ListConnectorsResponse list;
  ASSERT_TRUE(cloud_.admin().ListConnectors(Ctx(a_.token).get(), {}, &list).ok());
  for (const v1::Connector& c : list.connectors()) {
    EXPECT_NE(c.connector_id(), b_connector_->connector_id());
  }
  // B's connector heard nothing of A's calls, and still serves B.
  EXPECT_EQ(b_connector_->process().Log().find("event=call_start"), std::string::npos);
  absl::StatusOr<v1::Connector> still = cloud_.GetConnector(b_.token, b_connector_->connector_id());
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->status(), v1::CONNECTOR_STATUS_CONNECTED);
  v1::ListNamingContextsResponse nc;
  EXPECT_TRUE(cloud_.directory().ListNamingContexts(Ctx(b_.token).get(), {}, &nc).ok());
}

TEST_F(TenantWallsTest, OperatorTokenOnlyCreatesTenants) {
  for (auto& [method, code] : CallEverything(cloud_.operator_token(), "")) {
    EXPECT_EQ(code, grpc::StatusCode::PERMISSION_DENIED) << method;
  }
  v1::CreateTenantRequest r;
  r.set_name("sneaky");
  v1::CreateTenantResponse resp;
  EXPECT_EQ(cloud_.admin().CreateTenant(Ctx(a_.token).get(), r, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(cloud_.admin().CreateTenant(Ctx("").get(), r, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  r.set_name("");
  EXPECT_EQ(cloud_.admin().CreateTenant(Ctx(cloud_.operator_token()).get(), r, &resp)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(TenantWallsTest, HealthAnswersWithoutAToken) {
  auto health = grpc::health::v1::Health::NewStub(cloud_.channel());
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status st = health->Check(Ctx("").get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace dirbridge::testing
