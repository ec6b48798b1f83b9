#include <atomic>
#include <set>

#include "absl/strings/str_cat.h"
#include "tests/store/store_conformance.h"

namespace dirbridge::cloud {
namespace {

using ::testing::IsEmpty;

TEST_P(DeploymentStoreTest, TokensAreFoundByHash) {
  const DeploymentToken a{kT1, "m1", T(3600)};
  const DeploymentToken b{kT1, "m1", T(7200)};
  ASSERT_TRUE(store().CreateDeploymentToken("hash-a", a).ok());
  ASSERT_TRUE(store().CreateDeploymentToken("hash-b", b).ok());  // the older one stays
  EXPECT_EQ(VALUE_OF(store().GetDeploymentToken("hash-a")), a);
  EXPECT_EQ(VALUE_OF(store().GetDeploymentToken("hash-b")), b);
  EXPECT_CODE(store().GetDeploymentToken("hash-c"), kNotFound);
  EXPECT_CODE(store().CreateDeploymentToken("hash-a", DeploymentToken{kT2, "m9", T(1)}),
              kAlreadyExists);
  EXPECT_EQ(VALUE_OF(store().GetDeploymentToken("hash-a")), a);
  EXPECT_CODE(store().CreateDeploymentToken("hash-x", DeploymentToken{"t-unknown", "m", T(1)}),
              kFailedPrecondition);
  // Expiry is the caller's to judge.
  const DeploymentToken old{kT2, "m9", T(-3600)};
  ASSERT_TRUE(store().CreateDeploymentToken("hash-old", old).ok());
  EXPECT_EQ(VALUE_OF(store().GetDeploymentToken("hash-old")), old);
}

TEST_P(DeploymentStoreTest, ActivationCreatesTheUserOnceAndADeviceEachTime) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  UserRecord given = DirectoryUser(kT1, "a");
  given.imported_at = T(1);
  absl::StatusOr<Activation> first = store().Activate(m1, given, "laptop", T(30));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->user_created);
  EXPECT_FALSE(first->user_id.empty());
  EXPECT_FALSE(first->device_id.empty());

  std::vector<UserRecord> users = AllUsers(kT1, "m1");
  ASSERT_EQ(users.size(), 1u);
  UserRecord want = given;
  want.user_id = first->user_id;
  want.mapping_id = "m1";
  want.state = UserState::kActive;
  want.imported_at = T(30);
  EXPECT_EQ(users[0], want);

  absl::StatusOr<Activation> second = store().Activate(m1, given, "phone", T(31));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->user_created);
  EXPECT_EQ(second->user_id, first->user_id);
  EXPECT_NE(second->device_id, first->device_id);
  EXPECT_EQ(AllUsers(kT1, "m1").size(), 1u);
}

TEST_P(DeploymentStoreTest, ActivationFindsAnImportedUserWhicheverMappingOwnsIt) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  const MappingRecord m2 = MustCreateMapping(kT1, "m2");
  ASSERT_TRUE(store().UpsertUsers(m1, "r1", {DirectoryUser(kT1, "a")}).ok());
  const std::string id = AllUsers(kT1, "m1").at(0).user_id;
  absl::StatusOr<Activation> a = store().Activate(m2, DirectoryUser(kT1, "a"), "laptop", T(30));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->user_created);
  EXPECT_EQ(a->user_id, id);
  EXPECT_THAT(AllUsers(kT1, "m2"), IsEmpty());
}

TEST_P(DeploymentStoreTest, RacingActivationsCreateOneUserAndEveryDevice) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  constexpr int kThreads = 20;
  std::vector<absl::StatusOr<Activation>> results(kThreads, absl::UnknownError("not run"));
  RunConcurrently(kThreads, [&](int i) {
    results[i] = store().Activate(m1, DirectoryUser(kT1, "a"), absl::StrCat("device-", i), T(30));
  });
  int created = 0;
  std::set<std::string> users, devices;
  for (const absl::StatusOr<Activation>& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    created += r->user_created;
    users.insert(r->user_id);
    devices.insert(r->device_id);
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(users.size(), 1u);
  EXPECT_EQ(devices.size(), static_cast<size_t>(kThreads));
  EXPECT_EQ(AllUsers(kT1, "m1").size(), 1u);
}

TEST_P(DeploymentStoreTest, ActivationStaysInTheMappingsTenant) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  const MappingRecord m9 = MustCreateMapping(kT2, "m9");
  EXPECT_CODE(store().Activate(m1, DirectoryUser(kT2, "a"), "laptop", T(30)), kInvalidArgument);
  EXPECT_THAT(AllUsers(kT1, "m1"), IsEmpty());
  EXPECT_THAT(AllUsers(kT2, "m1"), IsEmpty());

  absl::StatusOr<Activation> mine = store().Activate(m1, DirectoryUser(kT1, "a"), "x", T(30));
  absl::StatusOr<Activation> theirs = store().Activate(m9, DirectoryUser(kT2, "a"), "y", T(30));
  ASSERT_TRUE(mine.ok() && theirs.ok());
  EXPECT_TRUE(theirs->user_created);  // the same directory id in another tenant
  EXPECT_NE(theirs->user_id, mine->user_id);
}

}  // namespace
}  // namespace dirbridge::cloud
