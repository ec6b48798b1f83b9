// Mappings change: UpdateMapping (a changed scope makes the next run a
// full one; the mask is checked), DeleteMapping (the schedule and tokens
// stop, the users stay unmapped until another mapping takes them), and
// Activate's "inside the mapping" following nested groups as the import
// does.

#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/bad_request.h"
#include "tests/mappings_fixture.h"

namespace dirbridge::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Dept(int k) { return absl::StrCat("ou=dept", k, ",ou=people,", kSuffix); }

class MappingChangesTest : public MappingsTest {
 protected:
  grpc::Status Update(const v1::Mapping& m, std::vector<std::string> paths, v1::Mapping* out) {
    v1::UpdateMappingRequest req;
    *req.mutable_mapping() = m;
    for (auto& p : paths) req.mutable_update_mask()->add_paths(p);
    return mappings_->UpdateMapping(Ctx(tenant_.token).get(), req, out);
  }
  grpc::Status Incremental(const std::string& mapping, v1::ImportReport* out) {
    v1::ImportUsersRequest req;
    req.set_mapping_id(mapping);
    req.set_incremental(true);
    return mappings_->ImportUsers(Ctx(tenant_.token, absl::Seconds(60)).get(), req, out);
  }
  grpc::Status Delete(const std::string& mapping, v1::DeleteMappingResponse* out) {
    v1::DeleteMappingRequest req;
    req.set_mapping_id(mapping);
    return mappings_->DeleteMapping(Ctx(tenant_.token).get(), req, out);
  }
  std::string Token(const std::string& mapping) {
    v1::CreateDeploymentTokenRequest req;
    req.set_mapping_id(mapping);
    v1::CreateDeploymentTokenResponse resp;
    EXPECT_TRUE(deployment_->CreateDeploymentToken(Ctx(tenant_.token).get(), req, &resp).ok());
    return resp.token();
  }
  // The field of the one BadRequest violation an INVALID_ARGUMENT carries.
  static std::string ViolatedField(const grpc::Status& st) {
    std::vector<std::string> fields = ViolatedFields(st);
    return fields.size() == 1 ? fields[0] : "<not one BadRequest field>";
  }
  grpc::Status Activate(const std::string& token, const std::string& user) {
    v1::ActivateRequest req;
    req.set_token(token);
    req.set_username(user);
    req.set_device_name("laptop");
    v1::ActivateResponse resp;
    return deployment_->Activate(Ctx(tenant_.token).get(), req, &resp);
  }
};

TEST_F(MappingChangesTest, AChangedScopeMakesTheNextRunFull) {
  Start(20);
  std::string id = CreateMapping({Dept(1)});
  v1::ImportReport r;
  ASSERT_TRUE(Import(id, &r).ok());
  EXPECT_EQ(r.added(), 5u);  // users 1, 5, 9, 13, 17
  ASSERT_TRUE(Incremental(id, &r).ok());
  EXPECT_TRUE(r.incremental());

  // A new name alone: the watermark still holds.
  v1::Mapping m;
  m.set_mapping_id(id);
  m.set_name("renamed");
  v1::Mapping out;
  grpc::Status st = Update(m, {"name"}, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.name(), "renamed");
  EXPECT_THAT(out.ou_dns(), ElementsAre(Dept(1)));  // not in the mask: kept
  ASSERT_TRUE(Incremental(id, &r).ok());
  EXPECT_TRUE(r.incremental());

  // One more OU: its users changed nothing since the watermark, so only a
  // full run finds them; asked incremental, the run is full.
  m.add_ou_dns(Dept(1));
  m.add_ou_dns(Dept(2));
  ASSERT_TRUE(Update(m, {"ou_dns"}, &out).ok());
  EXPECT_THAT(out.ou_dns(), ElementsAre(Dept(1), Dept(2)));
  EXPECT_EQ(out.name(), "renamed");
  ASSERT_TRUE(Incremental(id, &r).ok());
  EXPECT_FALSE(r.incremental());
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.added(), 5u);
  EXPECT_EQ(Active(id), 10);
  ASSERT_TRUE(Incremental(id, &r).ok());
  EXPECT_TRUE(r.incremental());  // the full run laid a new watermark
  v1::ListMappingsResponse all;
  ASSERT_TRUE(mappings_->ListMappings(Ctx(tenant_.token).get(), {}, &all).ok());
  ASSERT_EQ(all.mappings_size(), 1);
  EXPECT_EQ(all.mappings(0).ou_dns_size(), 2);
}

TEST_F(MappingChangesTest, UpdateChecksTheMaskAndTheFields) {
  Start(4);
  std::string id = CreateMapping();
  v1::Mapping m;
  m.set_mapping_id(id);
  v1::Mapping out;
  grpc::Status st = Update(m, {}, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "update_mask");
  st = Update(m, {"name", "priority", "bogus.path"}, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("\"priority\", \"bogus.path\""));
  EXPECT_EQ(ViolatedField(st), "update_mask");
  // The same checks as CreateMapping, naming the field in the request.
  m.set_base_dn("not a dn");
  st = Update(m, {"base_dn"}, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "mapping.base_dn");
  st = Update(m, {"name"}, &out);  // an empty name
  EXPECT_EQ(ViolatedField(st), "mapping.name");
  m.mutable_sync_interval()->set_seconds(0);
  st = Update(m, {"sync_interval"}, &out);
  EXPECT_EQ(ViolatedField(st), "mapping.sync_interval");
  m.add_group_dns("nope");
  st = Update(m, {"group_dns"}, &out);
  EXPECT_EQ(ViolatedField(st), "mapping.group_dns");
  m.clear_group_dns();
  for (int i = 0; i < 65; ++i) m.add_group_dns(absl::StrCat("cn=g", i, ",", kSuffix));
  st = Update(m, {"group_dns"}, &out);
  EXPECT_THAT(st.error_message(), HasSubstr("at most 64"));
  EXPECT_EQ(ViolatedField(st), "mapping.group_dns");
  m.set_mapping_id("");
  EXPECT_EQ(ViolatedField(Update(m, {"name"}, &out)), "mapping.mapping_id");
  m.set_mapping_id("no-such-mapping");
  m.set_name("x");
  EXPECT_EQ(Update(m, {"name"}, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  // Another tenant's mapping is not found either.
  absl::StatusOr<Tenant> other = cloud_.CreateTenant("globex");
  ASSERT_TRUE(other.ok());
  m.set_mapping_id(id);
  v1::UpdateMappingRequest req;
  *req.mutable_mapping() = m;
  req.mutable_update_mask()->add_paths("name");
  EXPECT_EQ(mappings_->UpdateMapping(Ctx(other->token).get(), req, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Nothing above changed it.
  v1::ListMappingsResponse all;
  ASSERT_TRUE(mappings_->ListMappings(Ctx(tenant_.token).get(), {}, &all).ok());
  ASSERT_EQ(all.mappings_size(), 1);
  EXPECT_EQ(all.mappings(0).name(), "staff");
  EXPECT_EQ(all.mappings(0).base_dn(), kSuffix);
}

TEST_F(MappingChangesTest, DeletedMappingsUsersStayUnmappedUntilAnotherTakesThem) {
  Start(20);
  std::string id = CreateMapping({Dept(1)});
  v1::ImportReport r;
  ASSERT_TRUE(Import(id, &r).ok());
  std::set<std::string> user_ids;
  for (const auto& u : Users(id)) user_ids.insert(u.user_id());
  ASSERT_EQ(user_ids.size(), 5u);
  std::string token = Token(id);
  ASSERT_TRUE(Activate(token, "user00005").ok());

  v1::DeleteMappingResponse del;
  grpc::Status st = Delete(id, &del);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(del.users_unmapped(), 5u);
  EXPECT_EQ(Delete(id, &del).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ViolatedField(Delete("", &del)), "mapping_id");
  v1::ListMappingsResponse all;
  ASSERT_TRUE(mappings_->ListMappings(Ctx(tenant_.token).get(), {}, &all).ok());
  EXPECT_EQ(all.mappings_size(), 0);
  EXPECT_EQ(Import(id, &r).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Activate(token, "user00005").error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A mapping over the same OU takes the same users over: same ids, ACTIVE.
  std::string again = CreateMapping({Dept(1)});
  ASSERT_TRUE(Import(again, &r).ok());
  EXPECT_EQ(r.added(), 0u);
  std::set<std::string> taken;
  for (const auto& u : Users(again)) {
    taken.insert(u.user_id());
    EXPECT_EQ(u.state(), v1::USER_STATE_ACTIVE) << u.username();
  }
  EXPECT_EQ(taken, user_ids);
}

TEST_F(MappingChangesTest, ActivateFollowsNestedGroupsAsTheImportDoes) {
  Start(8);
  v1::CreateMappingRequest req;
  req.set_name("nested");
  req.set_base_dn(kSuffix);
  req.add_group_dns(slapd_->GroupDn("nested-outer"));
  v1::Mapping m;
  ASSERT_TRUE(mappings_->CreateMapping(Ctx(tenant_.token).get(), req, &m).ok());
  v1::ImportReport r;
  ASSERT_TRUE(Import(m.mapping_id(), &r).ok());
  std::set<std::string> imported;
  for (const auto& u : Users(m.mapping_id())) imported.insert(u.username());
  // cn=nested-outer holds user 4 and cn=nested-inner, which holds 1..3.
  EXPECT_EQ(imported,
            (std::set<std::string>{"user00001", "user00002", "user00003", "user00004"}));
  std::string token = Token(m.mapping_id());
  for (const std::string& u : imported) {
    grpc::Status st = Activate(token, u);
    EXPECT_TRUE(st.ok()) << u << ": " << st.error_message();
  }
  EXPECT_EQ(Activate(token, "user00005").error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace dirbridge::testing
