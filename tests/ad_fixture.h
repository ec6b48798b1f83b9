#ifndef DIRBRIDGE_TESTS_AD_FIXTURE_H_
#define DIRBRIDGE_TESTS_AD_FIXTURE_H_

// What the AD suites share: a cloud_svc and a connector_svc serving the
// Samba DC the fixture samba_dc started (tests/harness/samba_dc.h), and
// the backend calls they make of it.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "dirbridge/v1/auth.grpc.pb.h"
#include "dirbridge/v1/mappings.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/harness/backend_calls.h"
#include "tests/harness/samba_dc.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {

inline const std::string kBase = SambaDc::kBaseDn;

inline LdapTarget DcTarget(const SambaDc& dc) {
  LdapTarget t;
  t.uri = dc.ldaps_uri();
  t.tls = "ldaps";
  t.ca_file = dc.ca_file();
  t.bind_dn = SambaDc::kServiceDn;
  t.bind_password = SambaDc::ServicePassword();
  t.base_dn = kBase;
  t.profile = "active_directory";
  return t;
}

// A name no earlier run on this DC used (ctest --repeat runs on one DC).
inline std::string Fresh(const std::string& prefix) {
  return absl::StrCat(prefix, absl::ToUnixMicros(absl::Now()) % 100000000);
}

class AdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dc_.dir().empty()) << "DIRBRIDGE_SAMBA_DC_DIR is not set: run under ctest";
    ASSERT_TRUE(dc_.Answers()) << "the Samba DC does not answer; its log:\n"
                               << ReadFileOrEmpty(dc_.log_path());
  }

  void Start(std::vector<std::string> cloud_flags = {}) {
    CloudSvc::Options co;
    co.extra_flags = std::move(cloud_flags);
    absl::Status st = stack_.StartFor(DcTarget(dc_), co);
    ASSERT_TRUE(st.ok()) << st;
    st = stack_.RunConnector();
    ASSERT_TRUE(st.ok()) << st;
    auth_ = v1::Auth::NewStub(cloud_.channel());
    mappings_ = v1::Mappings::NewStub(cloud_.channel());
  }

  grpc::Status GetUser(const std::string& name, v1::User* out) {
    v1::GetUserRequest req;
    req.set_username(name);
    return cloud_.directory().GetUser(Ctx(tenant_.token).get(), req, out);
  }

  grpc::Status SearchUsers(const std::string& base, const std::string& group, uint32_t page,
                           std::vector<v1::User>* users) {
    v1::SearchUsersRequest req;
    req.set_base_dn(base);
    req.set_group_dn(group);
    req.set_page_size(page);
    auto ctx = Ctx(tenant_.token, absl::Seconds(120));
    auto reader = cloud_.directory().SearchUsers(ctx.get(), req);
    v1::SearchUsersResponse chunk;
    while (reader->Read(&chunk)) users->insert(users->end(), chunk.users().begin(), chunk.users().end());
    return reader->Finish();
  }

  std::set<std::string> UsernamesIn(const std::string& group) {
    std::vector<v1::User> users;
    grpc::Status st = SearchUsers(kBase, group, 1000, &users);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::set<std::string> names;
    for (const v1::User& u : users) names.insert(u.username());
    EXPECT_EQ(names.size(), users.size()) << "a user came twice";
    return names;
  }

  v1::AuthResult Login(const std::string& user, const std::string& password,
                       v1::AuthenticateResponse* resp = nullptr) {
    v1::AuthenticateRequest req;
    req.set_username(user);
    req.set_password(password);
    v1::AuthenticateResponse local;
    if (resp == nullptr) resp = &local;
    grpc::Status st = auth_->Authenticate(Ctx(tenant_.token).get(), req, resp);
    EXPECT_TRUE(st.ok()) << user << ": " << st.error_message();
    return resp->result();
  }

  std::string CreateMapping(const std::string& base_dn,
                            const std::vector<std::string>& group_dns = {}) {
    v1::CreateMappingRequest req;
    req.set_name("ad");
    req.set_base_dn(base_dn);
    for (const std::string& g : group_dns) req.add_group_dns(g);
    req.mutable_sync_interval()->set_seconds(86400);
    v1::Mapping m;
    grpc::Status st = mappings_->CreateMapping(Ctx(tenant_.token).get(), req, &m);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return m.mapping_id();
  }

  grpc::Status Import(const std::string& mapping, bool incremental, v1::ImportReport* report) {
    v1::ImportUsersRequest req;
    req.set_mapping_id(mapping);
    req.set_incremental(incremental);
    return mappings_->ImportUsers(Ctx(tenant_.token, absl::Seconds(120)).get(), req, report);
  }

  std::map<std::string, v1::CloudUser> Imported(const std::string& mapping) {
    std::vector<v1::CloudUser> users;
    grpc::Status st = ListAllUsers(*mappings_, tenant_.token, mapping, &users);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::map<std::string, v1::CloudUser> out;
    for (const v1::CloudUser& u : users) out[u.username()] = u;
    return out;
  }

  // `connector_svc check` on the connector's config; its output.
  std::string Check(int* code) {
    absl::StatusOr<std::string> out =
        RunCommand({ConnectorBinary(), "check", "--config", connector_->config_path()}, code);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : "";
  }

  // Adds users without passwords (enabled) in a new OU under the base DN.
  std::string AddOu(const std::string& ou, const std::vector<std::string>& users) {
    std::string ou_dn = absl::StrCat("OU=", ou, ",", kBase);
    std::string ldif = absl::StrCat("dn: ", ou_dn, "\nobjectClass: organizationalUnit\n\n");
    for (const std::string& u : users) {
      absl::StrAppend(&ldif, "dn: CN=", u, ",", ou_dn, "\nobjectClass: user\nsAMAccountName: ", u,
                      "\nuserAccountControl: 544\n\n");
    }
    absl::StatusOr<std::string> out = dc_.Admin("ldapadd", {}, ldif);
    EXPECT_TRUE(out.ok()) << out.status();
    return ou_dn;
  }

  // Adds an enabled user under OU=People with password Password(name).
  void AddPasswordUser(const std::string& name, const std::string& extra_ldif = "") {
    absl::StatusOr<std::string> out = dc_.Admin("ldapadd", {}, absl::StrCat(
        "dn: ", SambaDc::PeopleDn(name), "\nobjectClass: user\nsAMAccountName: ", name,
        "\nunicodePwd:: ", UnicodePwdBase64(SambaDc::Password(name)),
        "\nuserAccountControl: 512\n", extra_ldif));
    ASSERT_TRUE(out.ok()) << out.status();
  }

  SambaDc dc_ = SambaDc::FromEnvironment();
  Stack stack_;
  CloudSvc& cloud_ = stack_.cloud;
  Tenant& tenant_ = stack_.tenant;
  std::unique_ptr<ConnectorSvc>& connector_ = stack_.connector;
  std::unique_ptr<v1::Auth::Stub> auth_;
  std::unique_ptr<v1::Mappings::Stub> mappings_;
};

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_AD_FIXTURE_H_
