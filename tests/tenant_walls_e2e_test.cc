// Bearer tokens and tenant walls on the backend listener.

#include "gmock/gmock.h"
#include "dirbridge/v1/auth.grpc.pb.h"
#include "dirbridge/v1/deployment.grpc.pb.h"
#include "dirbridge/v1/keys.grpc.pb.h"
#include "dirbridge/v1/mappings.grpc.pb.h"
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
    {
      absl::Status st = RunUntilConnected(cloud_, b_.token, *b_connector_);
      ASSERT_TRUE(st.ok()) << st;
    }
    // B's objects: a mapping with an imported user, an ekey, a deployment token.
    mappings_ = v1::Mappings::NewStub(cloud_.channel());
    keys_ = v1::Keys::NewStub(cloud_.channel());
    deployment_ = v1::Deployment::NewStub(cloud_.channel());
    v1::CreateMappingRequest mreq;
    mreq.set_name("b-staff");
    mreq.set_base_dn("dc=example,dc=com");
    v1::Mapping m;
    ASSERT_TRUE(mappings_->CreateMapping(Ctx(b_.token).get(), mreq, &m).ok());
    b_mapping_ = m.mapping_id();
    v1::ImportUsersRequest ireq;
    ireq.set_mapping_id(b_mapping_);
    v1::ImportReport report;
    ASSERT_TRUE(mappings_->ImportUsers(Ctx(b_.token).get(), ireq, &report).ok());
    v1::ProvisionEkeyRequest preq;
    preq.set_user_id("b-user");
    v1::ProvisionEkeyResponse presp;
    ASSERT_TRUE(keys_->ProvisionEkey(Ctx(b_.token).get(), preq, &presp).ok());
    v1::CreateDeploymentTokenRequest treq;
    treq.set_mapping_id(b_mapping_);
    v1::CreateDeploymentTokenResponse tresp;
    ASSERT_TRUE(deployment_->CreateDeploymentToken(Ctx(b_.token).get(), treq, &tresp).ok());
    b_deploy_token_ = tresp.token();
    b_calls_ = CountCalls();
  }

  int CountCalls() {
    std::string log = b_connector_->process().Log();
    int n = 0;
    for (size_t at = 0; (at = log.find("event=call_start", at)) != std::string::npos; ++at) ++n;
    return n;
  }

  // Tenant B's objects, reached for with `token`: the codes.
  std::vector<std::pair<std::string, grpc::StatusCode>> CallOnBsObjects(const std::string& token) {
    std::vector<std::pair<std::string, grpc::StatusCode>> out;
    {
      v1::ImportUsersRequest r;
      r.set_mapping_id(b_mapping_);
      v1::ImportReport resp;
      out.emplace_back("ImportUsers", mappings_->ImportUsers(Ctx(token).get(), r, &resp).error_code());
    }
    {
      v1::ListUsersRequest r;
      r.set_mapping_id(b_mapping_);
      v1::ListUsersResponse resp;
      out.emplace_back("ListUsers", mappings_->ListUsers(Ctx(token).get(), r, &resp).error_code());
    }
    {
      v1::ResolveHeldImportRequest r;
      r.set_mapping_id(b_mapping_);
      v1::ImportReport resp;
      out.emplace_back("ResolveHeldImport",
                       mappings_->ResolveHeldImport(Ctx(token).get(), r, &resp).error_code());
    }
    {
      v1::CreateDeploymentTokenRequest r;
      r.set_mapping_id(b_mapping_);
      v1::CreateDeploymentTokenResponse resp;
      out.emplace_back("CreateDeploymentToken",
                       deployment_->CreateDeploymentToken(Ctx(token).get(), r, &resp).error_code());
    }
    {
      v1::GetEkeysRequest r;
      r.add_user_ids("b-user");
      r.set_recipient_public_key(std::string(32, 'k'));
      v1::GetEkeysResponse resp;
      out.emplace_back("GetEkeys", keys_->GetEkeys(Ctx(token).get(), r, &resp).error_code());
    }
    return out;
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
  std::unique_ptr<v1::Mappings::Stub> mappings_;
  std::unique_ptr<v1::Keys::Stub> keys_;
  std::unique_ptr<v1::Deployment::Stub> deployment_;
  std::string b_mapping_, b_deploy_token_;
  int b_calls_ = 0;
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
  for (auto& [method, code] : CallOnBsObjects(a_.token)) {
    EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND) << method;
  }
  v1::ActivateRequest act;
  act.set_token(b_deploy_token_);
  act.set_username("user00001");
  act.set_device_name("x");
  v1::ActivateResponse aresp;
  EXPECT_EQ(deployment_->Activate(Ctx(a_.token).get(), act, &aresp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A's logins and lookups go to A's connectors, of which there are none.
  auto auth = v1::Auth::NewStub(cloud_.channel());
  v1::AuthenticateRequest areq;
  areq.set_username("user00001");
  areq.set_password("pw-user00001");
  v1::AuthenticateResponse auth_resp;
  EXPECT_EQ(auth->Authenticate(Ctx(a_.token).get(), areq, &auth_resp).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // B's connector heard nothing of A's calls, and still serves B.
  EXPECT_EQ(CountCalls(), b_calls_);
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
