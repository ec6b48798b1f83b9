// Mappings, imports, the scheduler and mass deployment, end to end.

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/mappings_fixture.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(MappingsTest, TenThousandUsersThenModifiedRenamedDeleted) {
  Start(10000);
  std::string m = CreateMapping();
  v1::ImportReport r;
  grpc::Status st = Import(m, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(r.added(), 10000u);
  EXPECT_TRUE(r.complete());
  ASSERT_TRUE(Import(m, &r).ok());
  EXPECT_EQ(r.added(), 0u);
  EXPECT_EQ(r.unchanged(), 10000u);
  EXPECT_EQ(r.updated(), 0u);

  auto before = ByUsername(m);
  ASSERT_TRUE(slapd_->Admin("ldapmodify", {}, absl::StrCat(
      "dn: ", slapd_->UserDn(5), "\nchangetype: modify\nreplace: mail\nmail: new5@example.com\n")).ok());
  // Moved to another OU: new DN, same entryUUID.
  ASSERT_TRUE(slapd_->Admin("ldapmodrdn", {"-s", absl::StrCat("ou=dept1,ou=people,", kSuffix),
                                           slapd_->UserDn(6), "uid=user00006"}).ok());
  ASSERT_TRUE(slapd_->Admin("ldapdelete", {slapd_->UserDn(7)}).ok());

  ASSERT_TRUE(Import(m, &r).ok());
  EXPECT_EQ(r.updated(), 2u);
  EXPECT_EQ(r.not_in_directory(), 1u);
  EXPECT_EQ(r.added(), 0u);
  EXPECT_EQ(r.unchanged(), 9997u);
  auto after = ByUsername(m);
  ASSERT_EQ(after.size(), 10000u);  // nobody duplicated, nobody deleted
  EXPECT_EQ(after["user00005"].email(), "new5@example.com");
  EXPECT_EQ(after["user00006"].user_id(), before["user00006"].user_id());
  EXPECT_THAT(after["user00006"].dn(), HasSubstr("ou=dept1"));
  EXPECT_EQ(after["user00007"].state(), v1::USER_STATE_NOT_IN_DIRECTORY);
  EXPECT_EQ(after["user00008"].state(), v1::USER_STATE_ACTIVE);
}

TEST_F(MappingsTest, SlapdKilledMidImportChangesNoStateAndTheNextRunCompletes) {
  Start(10000, {"--import_page_size", "50"});
  std::string m = CreateMapping();
  v1::ImportReport r;
  ASSERT_TRUE(Import(m, &r).ok());
  ASSERT_TRUE(slapd_->Admin("ldapdelete", {slapd_->UserDn(9)}).ok());
  int chunks = LogCount("event=import_chunk");
  grpc::Status st;
  std::thread import([&] { st = Import(m, &r); });
  ASSERT_TRUE(WaitFor([&] { return LogCount("event=import_chunk") > chunks + 2; },
                      absl::Seconds(20)));
  slapd_->Stop();
  import.join();
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.error_message(), HasSubstr("No user was marked"));
  EXPECT_TRUE(HasAlert(v1::ALERT_KIND_IMPORT_FAILED));
  EXPECT_EQ(Active(m), 10000);  // user00009 is gone from LDAP, but the run was partial

  ASSERT_TRUE(slapd_->Restart().ok());
  ASSERT_TRUE(WaitFor([&] { return Import(m, &r).ok(); }, absl::Seconds(20)));
  EXPECT_EQ(r.not_in_directory(), 1u);
  EXPECT_EQ(Active(m), 9999);
  EXPECT_FALSE(HasAlert(v1::ALERT_KIND_IMPORT_FAILED));
}

TEST_F(MappingsTest, ImportsThatWouldRemoveTooManyAreHeld) {
  Start(100);
  std::string m = CreateMapping();
  v1::ImportReport r;
  ASSERT_TRUE(Import(m, &r).ok());
  ASSERT_EQ(r.added(), 100u);

  // The bind account loses read access: every search comes back empty.
  slapd_->SetExtraAcl(absl::StrCat("access to dn.subtree=\"ou=people,", kSuffix,
                                   "\" by dn.exact=\"", Slapd::kServiceDn,
                                   "\" none by * break"));
  ASSERT_TRUE(slapd_->Restart().ok());
  ASSERT_TRUE(Import(m, &r).ok());
  EXPECT_TRUE(r.held());
  EXPECT_EQ(r.held_not_in_directory(), 100u);
  EXPECT_EQ(r.not_in_directory(), 0u);
  EXPECT_TRUE(HasAlert(v1::ALERT_KIND_IMPORT_HELD));
  EXPECT_EQ(Active(m), 100);
  v1::ResolveHeldImportRequest resolve;
  resolve.set_mapping_id(m);
  resolve.set_confirm(false);
  ASSERT_TRUE(mappings_->ResolveHeldImport(Ctx(tenant_.token).get(), resolve, &r).ok());
  EXPECT_FALSE(HasAlert(v1::ALERT_KIND_IMPORT_HELD));
  EXPECT_EQ(Active(m), 100);
  EXPECT_EQ(mappings_->ResolveHeldImport(Ctx(tenant_.token).get(), resolve, &r).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Access back; a quarter of the users really left: still over 20%, held,
  // and this time the admin confirms.
  slapd_->SetExtraAcl("");
  ASSERT_TRUE(slapd_->Restart().ok());
  for (int i = 1; i <= 25; ++i) ASSERT_TRUE(slapd_->Admin("ldapdelete", {slapd_->UserDn(i)}).ok());
  ASSERT_TRUE(Import(m, &r).ok());
  EXPECT_TRUE(r.held());
  EXPECT_EQ(r.held_not_in_directory(), 25u);
  resolve.set_confirm(true);
  ASSERT_TRUE(mappings_->ResolveHeldImport(Ctx(tenant_.token).get(), resolve, &r).ok());
  EXPECT_EQ(r.not_in_directory(), 25u);
  EXPECT_EQ(Active(m), 75);
  EXPECT_FALSE(HasAlert(v1::ALERT_KIND_IMPORT_HELD));
}

TEST_F(MappingsTest, CloudKilledMidImportLeavesWholeChunksAndRecovers) {
  Start(10000, {"--import_page_size", "50"});
  std::string m = CreateMapping();
  v1::ImportReport r;
  std::thread import([&] { Import(m, &r).IgnoreError(); });
  ASSERT_TRUE(WaitFor([&] { return LogCount("event=import_chunk") > 3; }, absl::Seconds(20)));
  cloud_.Kill();
  import.join();
  ASSERT_TRUE(cloud_.Restart().ok());
  mappings_ = v1::Mappings::NewStub(cloud_.channel());
  size_t stored = Users(m).size();
  EXPECT_GT(stored, 0u);
  EXPECT_LT(stored, 10000u);
  EXPECT_EQ(stored % 50, 0u) << "a chunk was stored in part";
  ASSERT_TRUE(cloud_.WaitForStatus(tenant_.token, connector_->connector_id(),
                                   v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(10)));
  grpc::Status st = Import(m, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(r.added() + r.unchanged(), 10000u);
  EXPECT_EQ(Users(m).size(), 10000u);
}

TEST_F(MappingsTest, SchedulerRunsImportsOnItsOwn) {
  Start(20, {"--scheduler_tick", "200ms"});
  std::string m = CreateMapping({}, /*interval_s=*/1);
  ASSERT_TRUE(WaitFor([&] { return Users(m).size() == 20; }, absl::Seconds(15)));
  // And again, every interval, without two at once.
  int runs = LogCount("event=import_done");
  ASSERT_TRUE(WaitFor([&] { return LogCount("event=import_done") > runs; }, absl::Seconds(10)));
  // A run with no connector fails cleanly and raises an alert.
  connector_->Kill();
  ASSERT_TRUE(WaitFor([&] { return HasAlert(v1::ALERT_KIND_IMPORT_FAILED); }, absl::Seconds(15)));
  EXPECT_EQ(Active(m), 20);
}

TEST_F(MappingsTest, DeploymentActivatesOnceAndOnlyInsideTheMapping) {
  Start(30);
  std::string m = CreateMapping({absl::StrCat("ou=dept1,ou=people,", kSuffix)});
  v1::CreateDeploymentTokenRequest treq;
  treq.set_mapping_id(m);
  v1::CreateDeploymentTokenResponse token;
  ASSERT_TRUE(deployment_->CreateDeploymentToken(Ctx(tenant_.token).get(), treq, &token).ok());

  auto activate = [&](const std::string& tok, const std::string& user, v1::ActivateResponse* out) {
    v1::ActivateRequest req;
    req.set_token(tok);
    req.set_username(user);
    req.set_device_name("laptop-" + user);
    return deployment_->Activate(Ctx(tenant_.token).get(), req, out);
  };
  // user00005 is in dept1 (5 % 4).
  std::vector<v1::ActivateResponse> results(20);
  std::vector<grpc::Status> statuses(20);
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] { statuses[i] = activate(token.token(), "user00005", &results[i]); });
  }
  for (auto& t : threads) t.join();
  int created = 0;
  std::set<std::string> users, devices;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    created += results[i].user_created();
    users.insert(results[i].user_id());
    devices.insert(results[i].device_id());
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(users.size(), 1u);
  EXPECT_EQ(devices.size(), 20u);

  v1::ActivateResponse out;
  EXPECT_EQ(activate(token.token(), "user00006", &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(activate(token.token(), "nobody", &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(activate("made-up", "user00005", &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(activate("", "user00005", &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  treq.mutable_ttl()->set_seconds(1);
  v1::CreateDeploymentTokenResponse short_lived;
  ASSERT_TRUE(deployment_->CreateDeploymentToken(Ctx(tenant_.token).get(), treq, &short_lived).ok());
  EXPECT_TRUE(activate(short_lived.token(), "user00009", &out).ok());
  absl::SleepFor(absl::Milliseconds(1100));  // expiry is a matter of the clock
  EXPECT_EQ(activate(short_lived.token(), "user00009", &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(activate(token.token(), "user00009", &out).ok());  // older tokens stay valid

  // Another tenant cannot use this tenant's token.
  absl::StatusOr<Tenant> other = cloud_.CreateTenant("globex");
  ASSERT_TRUE(other.ok());
  v1::ActivateRequest req;
  req.set_token(token.token());
  req.set_username("user00005");
  req.set_device_name("x");
  EXPECT_EQ(deployment_->Activate(Ctx(other->token).get(), req, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(MappingsTest, IncrementalRunsReadOnlyWhatChanged) {
  Start(2000);
  std::string m = CreateMapping();
  v1::ImportReport r;
  ASSERT_TRUE(Import(m, &r).ok());
  ASSERT_EQ(r.added(), 2000u);
  auto incremental = [&](v1::ImportReport* out) {
    v1::ImportUsersRequest req;
    req.set_mapping_id(m);
    req.set_incremental(true);
    return mappings_->ImportUsers(Ctx(tenant_.token, absl::Seconds(60)).get(), req, out);
  };
  ASSERT_TRUE(slapd_->Admin("ldapmodify", {}, absl::StrCat(
      "dn: ", slapd_->UserDn(11), "\nchangetype: modify\nreplace: mail\nmail: n11@example.com\n\n",
      "dn: ", slapd_->UserDn(12), "\nchangetype: modify\nreplace: displayName\ndisplayName: Twelve\n")).ok());
  grpc::Status st = incremental(&r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(r.incremental());
  EXPECT_FALSE(r.complete());
  // The LDAP entries returned: the two that changed, and nothing else.
  EXPECT_EQ(r.added() + r.updated() + r.unchanged(), 2u);
  EXPECT_EQ(r.updated(), 2u);
  EXPECT_EQ(ByUsername(m)["user00011"].email(), "n11@example.com");
  ASSERT_TRUE(incremental(&r).ok());
  EXPECT_EQ(r.added() + r.updated() + r.unchanged(), 0u);

  // Removals are for full runs: an incremental one marks nobody.
  ASSERT_TRUE(slapd_->Admin("ldapdelete", {slapd_->UserDn(13)}).ok());
  ASSERT_TRUE(incremental(&r).ok());
  EXPECT_EQ(r.not_in_directory(), 0u);
  EXPECT_EQ(ByUsername(m)["user00013"].state(), v1::USER_STATE_ACTIVE);
  ASSERT_TRUE(Import(m, &r).ok());
  EXPECT_EQ(r.not_in_directory(), 1u);
}

// Change markers of two servers do not compare: the watermark names its
// server, and an answer from another one makes the run a full one.
TEST(MappingsFailoverTest, AnotherServerForcesAFullRun) {
  SlapdOptions opts;
  opts.users = 50;
  Stack stack;
  absl::Status started = stack.Start(opts, {}, /*with_replica=*/true);
  ASSERT_TRUE(started.ok()) << started;
  started = stack.RunConnector();
  ASSERT_TRUE(started.ok()) << started;
  Slapd& first = *stack.slapd;
  CloudSvc& cloud = stack.cloud;
  const Tenant* t = &stack.tenant;
  auto mappings = v1::Mappings::NewStub(cloud.channel());
  v1::CreateMappingRequest creq;
  creq.set_name("m");
  creq.set_base_dn(kSuffix);
  v1::Mapping m;
  ASSERT_TRUE(mappings->CreateMapping(Ctx(t->token).get(), creq, &m).ok());
  v1::ImportUsersRequest req;
  req.set_mapping_id(m.mapping_id());
  req.set_incremental(true);
  v1::ImportReport r;
  ASSERT_TRUE(mappings->ImportUsers(Ctx(t->token).get(), req, &r).ok());
  EXPECT_TRUE(r.complete());  // no watermark yet: full
  ASSERT_TRUE(mappings->ImportUsers(Ctx(t->token).get(), req, &r).ok());
  EXPECT_TRUE(r.incremental());
  first.Stop();
  grpc::Status st = mappings->ImportUsers(Ctx(t->token, absl::Seconds(30)).get(), req, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_FALSE(r.incremental());
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.added() + r.updated() + r.unchanged(), 50u);
}

TEST_F(MappingsTest, BadInput) {
  Start(5);
  v1::CreateMappingRequest req;
  v1::Mapping m;
  EXPECT_EQ(mappings_->CreateMapping(Ctx(tenant_.token).get(), req, &m).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_name("x");
  req.set_base_dn("not a dn");
  EXPECT_EQ(mappings_->CreateMapping(Ctx(tenant_.token).get(), req, &m).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_base_dn(kSuffix);
  req.mutable_sync_interval()->set_seconds(0);
  req.mutable_sync_interval()->set_nanos(1000);
  EXPECT_EQ(mappings_->CreateMapping(Ctx(tenant_.token).get(), req, &m).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ImportReport r;
  EXPECT_EQ(Import("no-such-mapping", &r).error_code(), grpc::StatusCode::NOT_FOUND);
  std::string id = CreateMapping();
  v1::ListUsersRequest lreq;
  lreq.set_mapping_id(id);
  lreq.set_page_token("!!!");
  v1::ListUsersResponse lresp;
  EXPECT_EQ(mappings_->ListUsers(Ctx(tenant_.token).get(), lreq, &lresp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Another tenant sees none of it.
  absl::StatusOr<Tenant> other = cloud_.CreateTenant("globex");
  v1::ImportUsersRequest ireq;
  ireq.set_mapping_id(id);
  EXPECT_EQ(mappings_->ImportUsers(Ctx(other->token).get(), ireq, &r).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListMappingsResponse list;
  ASSERT_TRUE(mappings_->ListMappings(Ctx(other->token).get(), {}, &list).ok());
  EXPECT_EQ(list.mappings_size(), 0);
}

}  // namespace
}  // namespace dirbridge::testing
