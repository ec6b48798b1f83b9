// Per-tenant quotas through the backend services, and ImportUsers past a
// tenant's import share: each refusal names its quota and flag, and
// another tenant is unaffected.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "cloud_svc/api/admin_service.h"
#include "cloud_svc/api/deployment_service.h"
#include "cloud_svc/api/mappings_service.h"
#include "cloud_svc/identity/registrar.h"
#include "cloud_svc/jobs/import_pool.h"
#include "cloud_svc/jobs/importer.h"
#include "dirbridge/v1/admin.grpc.pb.h"
#include "dirbridge/v1/deployment.grpc.pb.h"
#include "dirbridge/v1/mappings.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud/in_process_cloud.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kTenantB[] = "tenant-b";

// Answers GetUser with a user inside every mapping below.
bool AnswerUser(const v1::CallRequest& call, ScriptedConnector& connector) {
  if (call.request_case() != v1::CallRequest::kGetUser) return false;
  connector.Answer(call.call_id(), [&](v1::CallResult& r) {
    r.mutable_get_user()->set_id("id-" + call.get_user().username());
    r.mutable_get_user()->set_dn("uid=" + call.get_user().username() + ",dc=example,dc=com");
  });
  return true;
}

class QuotasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloud_.AddTenant(kTenantB);
    quotas_.max_connectors = 2;
    quotas_.max_mappings = 2;
    quotas_.max_deployment_tokens = 2;
    quotas_.max_devices = 2;
    auth_ = std::make_unique<cloud::Authenticator>(&cloud_.store(), "");
    registrar_ = std::make_unique<cloud::Registrar>(&cloud_.store(), absl::Hours(1));
    importer_ = std::make_unique<cloud::Importer>(&cloud_.store(), &cloud_.router(),
                                                  cloud::ImportPolicy{});
    admin_ = std::make_unique<cloud::AdminService>(&cloud_.store(), auth_.get(), registrar_.get(),
                                                   &cloud_.registry(), &cloud_.router(), &pool_,
                                                   quotas_);
    mappings_ = std::make_unique<cloud::MappingsService>(auth_.get(), &cloud_.store(),
                                                         importer_.get(), &pool_, &imports_,
                                                         quotas_);
    deployment_ = std::make_unique<cloud::DeploymentService>(auth_.get(), &cloud_.router(),
                                                             &cloud_.store(), &pool_, quotas_);
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(admin_.get());
    builder.RegisterService(mappings_.get());
    builder.RegisterService(deployment_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ && port != 0);
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                       grpc::InsecureChannelCredentials());
    admin_stub_ = v1::Admin::NewStub(channel);
    mappings_stub_ = v1::Mappings::NewStub(channel);
    deployment_stub_ = v1::Deployment::NewStub(channel);
  }
  void TearDown() override {
    // Imports still running end with their sessions, before the pool that
    // runs them (and the importer they use) goes.
    cloud_.registry().CloseAll(absl::UnavailableError("test over"));
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& tenant) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + tenant + "-token-0123456789");
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return ctx;
  }
  grpc::Status CreateConnector(const std::string& tenant) {
    v1::CreateConnectorRequest r;
    r.set_name("dc");
    v1::Connector out;
    return admin_stub_->CreateConnector(Ctx(tenant).get(), r, &out);
  }
  grpc::Status CreateMapping(const std::string& tenant, std::string* id = nullptr) {
    v1::CreateMappingRequest r;
    r.set_name("people");
    r.set_base_dn("dc=example,dc=com");
    v1::Mapping out;
    grpc::Status st = mappings_stub_->CreateMapping(Ctx(tenant).get(), r, &out);
    if (id) *id = out.mapping_id();
    return st;
  }
  grpc::Status CreateToken(const std::string& tenant, const std::string& mapping_id,
                           std::string* token = nullptr) {
    v1::CreateDeploymentTokenRequest r;
    r.set_mapping_id(mapping_id);
    v1::CreateDeploymentTokenResponse out;
    grpc::Status st = deployment_stub_->CreateDeploymentToken(Ctx(tenant).get(), r, &out);
    if (token) *token = out.token();
    return st;
  }
  grpc::Status Activate(const std::string& tenant, const std::string& token,
                        const std::string& username) {
    v1::ActivateRequest r;
    r.set_token(token);
    r.set_username(username);
    r.set_device_name("laptop");
    v1::ActivateResponse out;
    return deployment_stub_->Activate(Ctx(tenant).get(), r, &out);
  }

  static void ExpectQuota(const grpc::Status& st, const std::string& flag) {
    EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
    EXPECT_THAT(st.error_message(), HasSubstr(flag));
  }

  InProcessCloud cloud_;
  cloud::TenantQuotas quotas_;
  ThreadPool pool_{4, 64};
  std::unique_ptr<cloud::Authenticator> auth_;
  std::unique_ptr<cloud::Registrar> registrar_;
  std::unique_ptr<cloud::Importer> importer_;
  // After the importer: drained before it goes.
  cloud::ImportPool imports_{cloud::ImportPoolOptions{3, 1, 8}};
  std::unique_ptr<cloud::AdminService> admin_;
  std::unique_ptr<cloud::MappingsService> mappings_;
  std::unique_ptr<cloud::DeploymentService> deployment_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Admin::Stub> admin_stub_;
  std::unique_ptr<v1::Mappings::Stub> mappings_stub_;
  std::unique_ptr<v1::Deployment::Stub> deployment_stub_;
};

TEST_F(QuotasTest, Connectors) {
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(CreateConnector(cloud_.tenant_id()).ok());
  ExpectQuota(CreateConnector(cloud_.tenant_id()), "--max_connectors_per_tenant");
  EXPECT_TRUE(CreateConnector(kTenantB).ok());
}

TEST_F(QuotasTest, Mappings) {
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(CreateMapping(cloud_.tenant_id()).ok());
  ExpectQuota(CreateMapping(cloud_.tenant_id()), "--max_mappings_per_tenant");
  EXPECT_TRUE(CreateMapping(kTenantB).ok());
}

TEST_F(QuotasTest, UnexpiredDeploymentTokens) {
  std::string m, mb;
  ASSERT_TRUE(CreateMapping(cloud_.tenant_id(), &m).ok());
  ASSERT_TRUE(CreateMapping(kTenantB, &mb).ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(CreateToken(cloud_.tenant_id(), m).ok());
  ExpectQuota(CreateToken(cloud_.tenant_id(), m), "--max_deployment_tokens_per_tenant");
  EXPECT_TRUE(CreateToken(kTenantB, mb).ok());
}

TEST_F(QuotasTest, Devices) {
  ScriptedConnector a(cloud_, cloud_.AddConnector("a1"), &AnswerUser);
  ScriptedConnector b(cloud_, cloud_.AddConnector("b1", kTenantB), &AnswerUser);
  ASSERT_TRUE(cloud_.WaitConnected("a1", absl::Seconds(10)));
  ASSERT_TRUE(cloud_.WaitConnected("b1", absl::Seconds(10)));
  std::string m, mb, token, token_b;
  ASSERT_TRUE(CreateMapping(cloud_.tenant_id(), &m).ok());
  ASSERT_TRUE(CreateMapping(kTenantB, &mb).ok());
  ASSERT_TRUE(CreateToken(cloud_.tenant_id(), m, &token).ok());
  ASSERT_TRUE(CreateToken(kTenantB, mb, &token_b).ok());
  for (const char* user : {"alice", "bob"}) {
    grpc::Status st = Activate(cloud_.tenant_id(), token, user);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  ExpectQuota(Activate(cloud_.tenant_id(), token, "carol"), "--max_devices_per_tenant");
  grpc::Status theirs = Activate(kTenantB, token_b, "carol");
  EXPECT_TRUE(theirs.ok()) << theirs.error_message();
}

TEST_F(QuotasTest, AUsernameOverTheLimitIsRefusedBeforeRouting) {
  std::string m, token;
  ASSERT_TRUE(CreateMapping(cloud_.tenant_id(), &m).ok());
  ASSERT_TRUE(CreateToken(cloud_.tenant_id(), m, &token).ok());
  grpc::Status st = Activate(cloud_.tenant_id(), token, std::string(257, 'a'));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("256"));
}

TEST_F(QuotasTest, ImportUsersPastTheTenantsShareIsRefusedAndOthersRun) {
  // Tenant A's connector takes the search and never answers.
  ScriptedConnector a(cloud_, cloud_.AddConnector("a1"));
  ASSERT_TRUE(cloud_.WaitConnected("a1", absl::Seconds(10)));
  std::string m1, m2;
  ASSERT_TRUE(CreateMapping(cloud_.tenant_id(), &m1).ok());
  ASSERT_TRUE(CreateMapping(cloud_.tenant_id(), &m2).ok());
  // The first import holds A's one slot; its caller gives up at 500ms,
  // the import goes on.
  v1::ImportUsersRequest r1;
  r1.set_mapping_id(m1);
  v1::ImportReport out;
  auto ctx = Ctx(cloud_.tenant_id());
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
  grpc::Status first = mappings_stub_->ImportUsers(ctx.get(), r1, &out);
  EXPECT_EQ(first.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(a.NextCall(absl::Seconds(5)).has_value());
  EXPECT_EQ(imports_.Active(cloud_.tenant_id()), 1);
  v1::ImportUsersRequest r2;
  r2.set_mapping_id(m2);
  grpc::Status second = mappings_stub_->ImportUsers(Ctx(cloud_.tenant_id()).get(), r2, &out);
  ExpectQuota(second, "--imports_per_tenant");
  // Tenant B imports now (no connector: it fails at once, UNAVAILABLE, but
  // it ran: it was not refused for A's share).
  std::string mb;
  ASSERT_TRUE(CreateMapping(kTenantB, &mb).ok());
  v1::ImportUsersRequest rb;
  rb.set_mapping_id(mb);
  grpc::Status theirs = mappings_stub_->ImportUsers(Ctx(kTenantB).get(), rb, &out);
  EXPECT_EQ(theirs.error_code(), grpc::StatusCode::UNAVAILABLE) << theirs.error_message();
}

}  // namespace
}  // namespace dirbridge::testing
