// The counts the per-tenant quotas are checked against: each counts one
// tenant's live objects only, whatever the other tenant holds.

#include "absl/strings/str_cat.h"
#include "tests/store/store_conformance.h"

namespace dirbridge::cloud {
namespace {

TEST_P(ConnectorStoreTest, CountConnectorsCountsTheTenantsLiveOnes) {
  EXPECT_EQ(VALUE_OF(store().CountConnectors(kT1)), 0u);
  for (const char* id : {"c1", "c2", "c3"}) ASSERT_TRUE(store().CreateConnector(Connector(kT1, id)).ok());
  ASSERT_TRUE(store().CreateConnector(Connector(kT2, "c9")).ok());
  EXPECT_EQ(VALUE_OF(store().CountConnectors(kT1)), 3u);
  EXPECT_EQ(VALUE_OF(store().CountConnectors(kT2)), 1u);
  // A deleted connector frees its room.
  ASSERT_TRUE(store().DeleteConnector(kT1, "c2").ok());
  EXPECT_EQ(VALUE_OF(store().CountConnectors(kT1)), 2u);
  EXPECT_EQ(VALUE_OF(store().CountConnectors("t-unknown")), 0u);
}

TEST_P(MappingStoreTest, CountMappingsCountsTheTenantsOnes) {
  EXPECT_EQ(VALUE_OF(store().CountMappings(kT1)), 0u);
  MustCreateMapping(kT1, "m1");
  MustCreateMapping(kT1, "m2");
  MustCreateMapping(kT2, "m9");
  EXPECT_EQ(VALUE_OF(store().CountMappings(kT1)), 2u);
  EXPECT_EQ(VALUE_OF(store().CountMappings(kT2)), 1u);
  EXPECT_EQ(VALUE_OF(store().CountMappings("t-unknown")), 0u);
}

TEST_P(DeploymentStoreTest, CountLiveDeploymentTokensLeavesOutTheExpired) {
  ASSERT_TRUE(store().CreateDeploymentToken("h1", DeploymentToken{kT1, "m1", T(100)}).ok());
  ASSERT_TRUE(store().CreateDeploymentToken("h2", DeploymentToken{kT1, "m1", T(200)}).ok());
  ASSERT_TRUE(store().CreateDeploymentToken("h3", DeploymentToken{kT1, "m1", T(-1)}).ok());
  ASSERT_TRUE(store().CreateDeploymentToken("h9", DeploymentToken{kT2, "m9", T(100)}).ok());
  EXPECT_EQ(VALUE_OF(store().CountLiveDeploymentTokens(kT1, T(0))), 2u);
  // expires_at <= now is expired, as Activate judges it.
  EXPECT_EQ(VALUE_OF(store().CountLiveDeploymentTokens(kT1, T(100))), 1u);
  EXPECT_EQ(VALUE_OF(store().CountLiveDeploymentTokens(kT1, T(200))), 0u);
  EXPECT_EQ(VALUE_OF(store().CountLiveDeploymentTokens(kT2, T(0))), 1u);
}

TEST_P(DeploymentStoreTest, CountDevicesCountsEveryActivationOfTheTenant) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  const MappingRecord m9 = MustCreateMapping(kT2, "m9");
  EXPECT_EQ(VALUE_OF(store().CountDevices(kT1)), 0u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store().Activate(m1, DirectoryUser(kT1, "a"), absl::StrCat("d", i), T(1)).ok());
  }
  ASSERT_TRUE(store().Activate(m9, DirectoryUser(kT2, "b"), "d", T(1)).ok());
  // A refused activation adds nothing.
  EXPECT_CODE(store().Activate(m1, DirectoryUser(kT2, "x"), "d", T(1)), kInvalidArgument);
  EXPECT_EQ(VALUE_OF(store().CountDevices(kT1)), 3u);
  EXPECT_EQ(VALUE_OF(store().CountDevices(kT2)), 1u);
  EXPECT_EQ(VALUE_OF(store().CountDevices("t-unknown")), 0u);
}

}  // namespace
}  // namespace dirbridge::cloud
