#ifndef DIRBRIDGE_TESTS_CLOUD_IMPORTER_FIXTURE_H_
#define DIRBRIDGE_TESTS_CLOUD_IMPORTER_FIXTURE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cloud_svc/jobs/importer.h"
#include "gtest/gtest.h"
#include "tests/cloud/in_process_cloud.h"
#include "tests/cloud/scripted_directory.h"

namespace dirbridge::testing {

// cloud::Importer over the in-process cloud's Router and MemoryStore, one
// mapping "m1", and connector c1 in front of a ScriptedDirectory (or, with
// by_hand_, a connector whose SearchUsers calls the test answers itself).
class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    connector_ = std::make_unique<ScriptedConnector>(
        cloud_, cloud_.AddConnector("c1"),
        by_hand_ ? ScriptedConnector::OnCall() : directory_.Handler());
    ASSERT_TRUE(cloud_.WaitConnected("c1", absl::Seconds(10)));
    // Presence is stored: from here on only the importer uses the store.
    ASSERT_TRUE(cloud_.registry().WaitForPresence(absl::Now() + absl::Seconds(10)));
    cloud::MappingRecord m;
    m.tenant_id = cloud_.tenant_id();
    m.mapping_id = "m1";
    m.name = "people";
    m.base_dn = "ou=people,dc=example,dc=com";
    m.created_at = absl::Now();
    m.next_run_at = absl::Now();
    ASSERT_TRUE(cloud_.store().CreateMapping(m).ok());
    importer_ = std::make_unique<cloud::Importer>(&cloud_.store(), &cloud_.router(), policy_);
  }

  // The mapping as the store has it now (each run starts from it, as the
  // scheduler's do).
  cloud::MappingRecord Mapping() {
    absl::StatusOr<cloud::MappingRecord> m = cloud_.store().GetMapping(cloud_.tenant_id(), "m1");
    EXPECT_TRUE(m.ok()) << m.status();
    return m.value_or(cloud::MappingRecord{});
  }

  absl::StatusOr<v1::ImportReport> Run(bool incremental = false) {
    return importer_->Run(Mapping(), incremental);
  }

  // Directory id → state, for the mapping's users in the store.
  std::map<std::string, cloud::UserState> States() {
    std::map<std::string, cloud::UserState> out;
    absl::StatusOr<std::vector<cloud::UserRecord>> users =
        cloud_.store().ListUsers(cloud_.tenant_id(), "m1", "", 10000);
    EXPECT_TRUE(users.ok()) << users.status();
    for (const cloud::UserRecord& u : users.value_or(std::vector<cloud::UserRecord>{})) {
      out[u.directory_id] = u.state;
    }
    return out;
  }

  // Directory ids in state `s`.
  std::vector<std::string> InState(cloud::UserState s) {
    std::vector<std::string> out;
    for (const auto& [id, state] : States()) {
      if (state == s) out.push_back(id);
    }
    return out;
  }

  std::vector<cloud::AlertRecord> ActiveAlerts(cloud::AlertKind kind) {
    std::vector<cloud::AlertRecord> out;
    absl::StatusOr<std::vector<cloud::AlertRecord>> alerts =
        cloud_.store().ListAlerts(cloud_.tenant_id(), /*active_only=*/true);
    EXPECT_TRUE(alerts.ok()) << alerts.status();
    for (const cloud::AlertRecord& a : alerts.value_or(std::vector<cloud::AlertRecord>{})) {
      if (a.kind == kind) out.push_back(a);
    }
    return out;
  }

  // u1..un.
  static std::vector<v1::User> Users(int n) {
    std::vector<v1::User> out;
    for (int i = 1; i <= n; ++i) out.push_back(DirectoryUser("u" + std::to_string(i)));
    return out;
  }

  bool by_hand_ = false;
  cloud::ImportPolicy policy_;
  InProcessCloud cloud_;
  ScriptedDirectory directory_;  // outlives the connector that calls it
  std::unique_ptr<ScriptedConnector> connector_;
  std::unique_ptr<cloud::Importer> importer_;
};

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_CLOUD_IMPORTER_FIXTURE_H_
