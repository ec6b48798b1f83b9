// cloud::Importer over the fakes: what a run stores, whom it marks, what a
// failed or suspicious run leaves alone.

#include "gmock/gmock.h"
#include "tests/cloud/importer_fixture.h"

namespace dirbridge::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using cloud::UserState;

TEST_F(ImporterTest, ARunCountsAddedUpdatedAndUnchangedUsers) {
  directory_.SetUsers(Users(3));
  absl::StatusOr<v1::ImportReport> r = Run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->added(), 3u);
  EXPECT_EQ(r->updated() + r->unchanged() + r->not_in_directory(), 0u);
  EXPECT_TRUE(r->complete());
  EXPECT_FALSE(r->held());
  // One transaction per chunk: 3 users in chunks of 2.
  EXPECT_EQ(cloud_.store().calls("UpsertUsers"), 2);
  ASSERT_EQ(directory_.requests().size(), 1u);
  EXPECT_EQ(directory_.requests()[0].base_dn(), "ou=people,dc=example,dc=com");
  EXPECT_EQ(directory_.requests()[0].changed_since(), "");
  EXPECT_EQ(directory_.requests()[0].page_size(), 1000u);
  EXPECT_THAT(InState(UserState::kActive), ElementsAre("u1", "u2", "u3"));

  r = Run();  // the same directory again
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->unchanged(), 3u);
  EXPECT_EQ(r->added() + r->updated() + r->not_in_directory(), 0u);

  std::vector<v1::User> users = Users(4);
  users[1].set_email("new-address@example.com");
  directory_.SetUsers(users);
  r = Run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->added(), 1u);
  EXPECT_EQ(r->updated(), 1u);
  EXPECT_EQ(r->unchanged(), 2u);
}

// A user without a stable id cannot be tracked: skipped, not stored.
TEST_F(ImporterTest, UsersWithoutAStableIdAreSkipped) {
  std::vector<v1::User> users = Users(2);
  users.push_back(DirectoryUser(""));
  directory_.SetUsers(users);
  absl::StatusOr<v1::ImportReport> r = Run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->added(), 2u);
  EXPECT_THAT(InState(UserState::kActive), ElementsAre("u1", "u2"));
}

TEST_F(ImporterTest, AUserGoneFromACompleteRunIsNotInDirectoryUntilBack) {
  directory_.SetUsers(Users(3));
  ASSERT_TRUE(Run().ok());

  std::vector<v1::User> without_u2 = Users(3);
  without_u2.erase(without_u2.begin() + 1);
  directory_.SetUsers(without_u2);
  absl::StatusOr<v1::ImportReport> r = Run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->not_in_directory(), 1u);
  EXPECT_FALSE(r->held());
  EXPECT_THAT(InState(UserState::kNotInDirectory), ElementsAre("u2"));
  EXPECT_THAT(InState(UserState::kActive), ElementsAre("u1", "u3"));

  directory_.SetUsers(Users(3));
  r = Run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->not_in_directory(), 0u);
  EXPECT_THAT(InState(UserState::kActive), ElementsAre("u1", "u2", "u3"));
  EXPECT_THAT(InState(UserState::kNotInDirectory), IsEmpty());
}

// The connector fails after one chunk (only u1 read): had the run counted
// as complete, u2 and u3 would be marked.
TEST_F(ImporterTest, ARunFailingMidStreamMarksNobodyAndRaisesAnAlert) {
  directory_.SetUsers(Users(3));
  ASSERT_TRUE(Run().ok());
  cloud::MappingRecord before = Mapping();

  directory_.SetUsers(Users(1));
  directory_.FailAfter(1, absl::UnavailableError("LDAP server went away"));
  absl::StatusOr<v1::ImportReport> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("LDAP server went away"));
  EXPECT_THAT(r.status().message(), HasSubstr("No user was marked"));
  EXPECT_THAT(InState(UserState::kActive), ElementsAre("u1", "u2", "u3"));
  EXPECT_EQ(Mapping(), before) << "a failed run changes no state of the mapping";
  std::vector<cloud::AlertRecord> alerts = ActiveAlerts(cloud::AlertKind::kImportFailed);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].mapping_id, "m1");

  // The next good run clears it.
  directory_.SetUsers(Users(3));
  directory_.FailAfter(-1, absl::OkStatus());
  ASSERT_TRUE(Run().ok());
  EXPECT_THAT(ActiveAlerts(cloud::AlertKind::kImportFailed), IsEmpty());
}

TEST_F(ImporterTest, AStoreFailureFailsTheRunAndMarksNobody) {
  directory_.SetUsers(Users(3));
  ASSERT_TRUE(Run().ok());
  cloud::MappingRecord before = Mapping();

  directory_.SetUsers(Users(1));
  cloud_.store().FailNext("UpsertUsers", absl::InternalError("disk full"));
  absl::StatusOr<v1::ImportReport> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(r.status().message(), HasSubstr("disk full"));
  EXPECT_THAT(InState(UserState::kActive), ElementsAre("u1", "u2", "u3"));
  EXPECT_EQ(Mapping(), before);
  EXPECT_EQ(ActiveAlerts(cloud::AlertKind::kImportFailed).size(), 1u);
  EXPECT_EQ(cloud_.store().calls("ApplyRun"), 1) << "only the first run applied";
}

// With at least 2 and 20% of the users, more unseen than that is held.
class ImporterHoldTest : public ImporterTest {
 protected:
  void SetUp() override {
    policy_.hold_minimum = 2;
    policy_.hold_fraction = 0.2;
    ImporterTest::SetUp();
    directory_.SetUsers(Users(10));
    ASSERT_TRUE(Run().ok());
  }
  // u1..u6 left: 4 unseen, more than max(2, 20% of 10).
  absl::StatusOr<v1::ImportReport> HeldRun() {
    directory_.SetUsers(Users(6));
    return Run();
  }
};

TEST_F(ImporterHoldTest, ARunThatWouldMarkTooManyIsHeldAndMarksNobody) {
  absl::StatusOr<v1::ImportReport> r = HeldRun();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->held());
  EXPECT_EQ(r->held_not_in_directory(), 4u);
  EXPECT_EQ(r->not_in_directory(), 0u);
  EXPECT_THAT(InState(UserState::kNotInDirectory), IsEmpty());
  cloud::MappingRecord m = Mapping();
  EXPECT_FALSE(m.held_run_id.empty());
  EXPECT_EQ(m.held_run_id, m.last_run_id);
  EXPECT_EQ(m.held_count, 4u);
  std::vector<cloud::AlertRecord> alerts = ActiveAlerts(cloud::AlertKind::kImportHeld);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_THAT(alerts[0].message, HasSubstr("would mark 4 of 10"));
}

TEST_F(ImporterHoldTest, AtTheLimitARunIsApplied) {
  directory_.SetUsers(Users(8));  // 2 unseen: not more than the limit
  absl::StatusOr<v1::ImportReport> r = Run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->held());
  EXPECT_EQ(r->not_in_directory(), 2u);
  EXPECT_THAT(InState(UserState::kNotInDirectory), ElementsAre("u10", "u9"));
}

TEST_F(ImporterHoldTest, ConfirmingAHeldRunAppliesIt) {
  ASSERT_TRUE(HeldRun().ok());
  absl::StatusOr<v1::ImportReport> r = importer_->ResolveHeld(Mapping(), /*confirm=*/true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->not_in_directory(), 4u);
  EXPECT_THAT(InState(UserState::kNotInDirectory), ElementsAre("u10", "u7", "u8", "u9"));
  EXPECT_TRUE(Mapping().held_run_id.empty());
  EXPECT_THAT(ActiveAlerts(cloud::AlertKind::kImportHeld), IsEmpty());
}

TEST_F(ImporterHoldTest, DiscardingAHeldRunMarksNobody) {
  ASSERT_TRUE(HeldRun().ok());
  absl::StatusOr<v1::ImportReport> r = importer_->ResolveHeld(Mapping(), /*confirm=*/false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->not_in_directory(), 0u);
  EXPECT_THAT(InState(UserState::kNotInDirectory), IsEmpty());
  EXPECT_TRUE(Mapping().held_run_id.empty());
  EXPECT_THAT(ActiveAlerts(cloud::AlertKind::kImportHeld), IsEmpty());
  EXPECT_EQ(importer_->ResolveHeld(Mapping(), true).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Zero found where there were users: held whatever the limit (a bind
// account that lost its rights reads an empty directory).
TEST_F(ImporterTest, ARunFindingNobodyWhereThereWereUsersIsHeld) {
  directory_.SetUsers(Users(3));  // fewer than hold_minimum (10)
  ASSERT_TRUE(Run().ok());
  directory_.SetUsers({});
  absl::StatusOr<v1::ImportReport> r = Run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->held());
  EXPECT_EQ(r->held_not_in_directory(), 3u);
  EXPECT_THAT(InState(UserState::kNotInDirectory), IsEmpty());
  std::vector<cloud::AlertRecord> alerts = ActiveAlerts(cloud::AlertKind::kImportHeld);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_THAT(alerts[0].message, HasSubstr("found no user at all"));
}

// The scheduler read the mapping, then DeleteMapping removed it: what the
// run writes must not stay ACTIVE under a mapping that is gone.
TEST_F(ImporterTest, ARunOfADeletedMappingLeavesNobodyActive) {
  cloud::MappingRecord m = Mapping();
  ASSERT_TRUE(cloud_.store().DeleteMapping(cloud_.tenant_id(), "m1", absl::Now()).ok());
  directory_.SetUsers(Users(3));
  absl::StatusOr<v1::ImportReport> r = importer_->Run(m, false);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_THAT(InState(UserState::kActive), IsEmpty());
  EXPECT_THAT(InState(UserState::kNotInDirectory), ElementsAre("u1", "u2", "u3"));
}

}  // namespace
}  // namespace dirbridge::testing
