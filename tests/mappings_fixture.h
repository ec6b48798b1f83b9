// The fixture of the Mappings end-to-end tests (mappings_e2e_test.cc,
// mapping_changes_e2e_test.cc): slapd, cloud_svc and a connector, with
// helpers to create mappings, import and read the imported users.
#ifndef DIRBRIDGE_TESTS_MAPPINGS_FIXTURE_H_
#define DIRBRIDGE_TESTS_MAPPINGS_FIXTURE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dirbridge/v1/deployment.grpc.pb.h"
#include "dirbridge/v1/mappings.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/harness/backend_calls.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {

inline constexpr char kSuffix[] = "dc=example,dc=com";

class MappingsTest : public ::testing::Test {
 protected:
  void Start(int users, std::vector<std::string> cloud_flags = {}) {
    SlapdOptions opts;
    opts.users = users;
    opts.ous = 4;
    CloudSvc::Options co;
    co.extra_flags = std::move(cloud_flags);
    absl::Status st = stack_.Start(opts, co);
    ASSERT_TRUE(st.ok()) << st;
    st = stack_.RunConnector();
    ASSERT_TRUE(st.ok()) << st;
    mappings_ = v1::Mappings::NewStub(cloud_.channel());
    deployment_ = v1::Deployment::NewStub(cloud_.channel());
  }

  std::string CreateMapping(std::vector<std::string> ous = {}, int64_t interval_s = 86400) {
    v1::CreateMappingRequest req;
    req.set_name("staff");
    req.set_base_dn(kSuffix);
    for (auto& o : ous) req.add_ou_dns(o);
    req.mutable_sync_interval()->set_seconds(interval_s);
    v1::Mapping m;
    grpc::Status st = mappings_->CreateMapping(Ctx(tenant_.token).get(), req, &m);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return m.mapping_id();
  }

  grpc::Status Import(const std::string& mapping, v1::ImportReport* report) {
    v1::ImportUsersRequest req;
    req.set_mapping_id(mapping);
    return mappings_->ImportUsers(Ctx(tenant_.token, absl::Seconds(120)).get(), req, report);
  }

  std::vector<v1::CloudUser> Users(const std::string& mapping) {
    std::vector<v1::CloudUser> out;
    grpc::Status st = ListAllUsers(*mappings_, tenant_.token, mapping, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  std::map<std::string, v1::CloudUser> ByUsername(const std::string& mapping) {
    std::map<std::string, v1::CloudUser> out;
    for (auto& u : Users(mapping)) out[u.username()] = u;
    return out;
  }

  int Active(const std::string& mapping) {
    int n = 0;
    for (auto& u : Users(mapping)) n += u.state() == v1::USER_STATE_ACTIVE;
    return n;
  }

  bool HasAlert(v1::AlertKind kind, bool active_only = true) {
    auto alerts = cloud_.Alerts(tenant_.token, active_only);
    if (!alerts.ok()) return false;
    for (auto& a : *alerts) if (a.kind() == kind) return true;
    return false;
  }

  int LogCount(const std::string& needle) {
    std::string log = cloud_.process().Log();
    int n = 0;
    for (size_t at = 0; (at = log.find(needle, at)) != std::string::npos; ++at) ++n;
    return n;
  }

  Stack stack_;
  std::unique_ptr<Slapd>& slapd_ = stack_.slapd;
  CloudSvc& cloud_ = stack_.cloud;
  Tenant& tenant_ = stack_.tenant;
  std::unique_ptr<ConnectorSvc>& connector_ = stack_.connector;
  std::unique_ptr<v1::Mappings::Stub> mappings_;
  std::unique_ptr<v1::Deployment::Stub> deployment_;
};

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_MAPPINGS_FIXTURE_H_
