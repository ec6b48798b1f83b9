#include "tests/store/store_conformance.h"

#include <atomic>

namespace dirbridge::cloud {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

auto Id(absl::string_view id) { return Field(&MappingRecord::mapping_id, std::string(id)); }

TEST_P(MappingStoreTest, ANewMappingRanksAfterTheTenantsOthers) {
  MappingRecord first = Mapping(kT1, "m1");
  first.priority = 7;  // whatever the caller says
  absl::StatusOr<MappingRecord> m1 = store().CreateMapping(first);
  ASSERT_TRUE(m1.ok()) << m1.status();
  MappingRecord want = Mapping(kT1, "m1");
  want.priority = 0;
  EXPECT_EQ(*m1, want);
  EXPECT_EQ(VALUE_OF(store().GetMapping(kT1, "m1")), want);  // every field as given

  MappingRecord second = Mapping(kT1, "m2");
  second.priority = -3;
  EXPECT_EQ(VALUE_OF(store().CreateMapping(second)).priority, 1);
  EXPECT_EQ(VALUE_OF(store().CreateMapping(Mapping(kT2, "m3"))).priority, 0);  // per tenant
  EXPECT_EQ(VALUE_OF(store().CreateMapping(Mapping(kT1, "m4"))).priority, 2);

  EXPECT_THAT(VALUE_OF(store().ListMappings(kT1)), ElementsAre(Id("m1"), Id("m2"), Id("m4")));
  EXPECT_THAT(VALUE_OF(store().ListMappings(kT2)), ElementsAre(Id("m3")));
  EXPECT_THAT(VALUE_OF(store().ListMappings("t-unknown")), IsEmpty());
}

TEST_P(MappingStoreTest, AnIdIsTakenAndATenantMustExist) {
  MustCreateMapping(kT1, "m1");
  EXPECT_CODE(store().CreateMapping(Mapping(kT1, "m1")), kAlreadyExists);
  EXPECT_CODE(store().CreateMapping(Mapping(kT2, "m1")), kAlreadyExists);
  EXPECT_CODE(store().CreateMapping(Mapping("t-unknown", "m2")), kFailedPrecondition);
  EXPECT_THAT(VALUE_OF(store().ListMappings(kT1)), ElementsAre(Id("m1")));
  EXPECT_THAT(VALUE_OF(store().ListMappings(kT2)), IsEmpty());
}

TEST_P(MappingStoreTest, AnotherTenantsMappingIsNotFoundEverywhere) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  MappingRecord theirs = m1;
  theirs.tenant_id = kT2;
  theirs.last_run_id = "forged";
  EXPECT_CODE(store().GetMapping(kT2, "m1"), kNotFound);
  EXPECT_CODE(store().SetNextRun(kT2, "m1", T(1)), kNotFound);
  EXPECT_CODE(store().SetMappingRun(theirs), kNotFound);
  EXPECT_THAT(VALUE_OF(store().ListMappings(kT2)), IsEmpty());
  EXPECT_EQ(VALUE_OF(store().GetMapping(kT1, "m1")), m1);
}

TEST_P(MappingStoreTest, AnUnknownMappingIsNotFound) {
  EXPECT_CODE(store().GetMapping(kT1, "ghost"), kNotFound);
  EXPECT_CODE(store().SetNextRun(kT1, "ghost", T(1)), kNotFound);
  EXPECT_CODE(store().SetMappingRun(Mapping(kT1, "ghost")), kNotFound);
}

TEST_P(MappingStoreTest, DueMappingsAreEveryTenantsOverdueOnesMostOverdueFirst) {
  auto create = [&](absl::string_view tenant, absl::string_view id, absl::Time next) {
    MappingRecord m = Mapping(tenant, id);
    m.next_run_at = next;
    ASSERT_TRUE(store().CreateMapping(m).ok());
  };
  create(kT1, "m-late", T(10));
  create(kT1, "m-b", T(5));
  create(kT2, "m-a", T(5));
  create(kT2, "m-future", T(100));
  EXPECT_THAT(VALUE_OF(store().DueMappings(T(10))), ElementsAre(Id("m-a"), Id("m-b"), Id("m-late")));
  EXPECT_THAT(VALUE_OF(store().DueMappings(T(5))), ElementsAre(Id("m-a"), Id("m-b")));
  EXPECT_THAT(VALUE_OF(store().DueMappings(T(4))), IsEmpty());
}

TEST_P(MappingStoreTest, SetNextRunReschedules) {
  MappingRecord m = Mapping(kT1, "m1");
  m.next_run_at = T(5);
  ASSERT_TRUE(store().CreateMapping(m).ok());
  ASSERT_EQ(VALUE_OF(store().DueMappings(T(10))).size(), 1u);
  ASSERT_TRUE(store().SetNextRun(kT1, "m1", T(50)).ok());
  EXPECT_THAT(VALUE_OF(store().DueMappings(T(10))), IsEmpty());
  EXPECT_EQ(VALUE_OF(store().GetMapping(kT1, "m1")).next_run_at, T(50));
  EXPECT_THAT(VALUE_OF(store().DueMappings(T(50))), ElementsAre(Id("m1")));
}

TEST_P(MappingStoreTest, SetMappingRunRecordsTheRunAlone) {
  const MappingRecord stored = MustCreateMapping(kT1, "m1");
  MappingRecord run = stored;
  run.last_run_id = "run-2";
  run.held_run_id = "run-2";
  run.held_count = 42;
  run.watermark = "20250101000000Z";
  run.watermark_server = "ldap-b";
  run.last_full_at = T(77);
  // Not part of a run: these stay as stored.
  run.name = "other";
  run.base_dn = "dc=other";
  run.priority = 9;
  run.next_run_at = T(999);
  run.sync_interval = absl::Hours(1);
  ASSERT_TRUE(store().SetMappingRun(run).ok());

  MappingRecord want = stored;
  want.last_run_id = "run-2";
  want.held_run_id = "run-2";
  want.held_count = 42;
  want.watermark = "20250101000000Z";
  want.watermark_server = "ldap-b";
  want.last_full_at = T(77);
  EXPECT_EQ(VALUE_OF(store().GetMapping(kT1, "m1")), want);

  run.held_run_id.clear();  // resolving a held run clears it again
  run.held_count = 0;
  ASSERT_TRUE(store().SetMappingRun(run).ok());
  EXPECT_EQ(VALUE_OF(store().GetMapping(kT1, "m1")).held_run_id, "");
  EXPECT_EQ(VALUE_OF(store().GetMapping(kT1, "m1")).held_count, 0u);
}

TEST_P(MappingStoreTest, ClaimRunBooksTheDueRunOnce) {
  MappingRecord m = Mapping(kT1, "m1");
  m.next_run_at = T(5);
  ASSERT_TRUE(store().CreateMapping(m).ok());
  const std::vector<MappingRecord> due = VALUE_OF(store().DueMappings(T(10)));
  ASSERT_THAT(due, ElementsAre(Id("m1")));
  EXPECT_TRUE(VALUE_OF(store().ClaimRun(kT1, "m1", due[0].next_run_at, T(50))));
  EXPECT_FALSE(VALUE_OF(store().ClaimRun(kT1, "m1", due[0].next_run_at, T(60))));  // booked
  EXPECT_EQ(VALUE_OF(store().GetMapping(kT1, "m1")).next_run_at, T(50));
  EXPECT_THAT(VALUE_OF(store().DueMappings(T(10))), IsEmpty());
  // Given back (the pool was full): due again as it was.
  EXPECT_TRUE(VALUE_OF(store().ClaimRun(kT1, "m1", T(50), due[0].next_run_at)));
  EXPECT_THAT(VALUE_OF(store().DueMappings(T(10))), ElementsAre(Id("m1")));
}

TEST_P(MappingStoreTest, ClaimRunComparesTheTimeDueMappingsReturned) {
  // Finer than any store keeps: the claim compares at the store's precision,
  // so the time read back from DueMappings still matches.
  MappingRecord m = Mapping(kT1, "m1");
  m.next_run_at = T(5) + absl::Nanoseconds(123'456'789);
  ASSERT_TRUE(store().CreateMapping(m).ok());
  const std::vector<MappingRecord> due = VALUE_OF(store().DueMappings(T(10)));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_FALSE(VALUE_OF(store().ClaimRun(kT1, "m1", T(5), T(50))));  // not the due time
  EXPECT_TRUE(VALUE_OF(store().ClaimRun(kT1, "m1", due[0].next_run_at,
                                        T(50) + absl::Microseconds(7))));
  EXPECT_EQ(VALUE_OF(store().GetMapping(kT1, "m1")).next_run_at, T(50) + absl::Microseconds(7));
}

TEST_P(MappingStoreTest, ClaimRunOfAnotherTenantsOrAnUnknownMappingIsNotFound) {
  MappingRecord m = Mapping(kT1, "m1");
  m.next_run_at = T(5);
  ASSERT_TRUE(store().CreateMapping(m).ok());
  EXPECT_CODE(store().ClaimRun(kT2, "m1", T(5), T(50)), kNotFound);
  EXPECT_CODE(store().ClaimRun(kT1, "ghost", T(5), T(50)), kNotFound);
  EXPECT_EQ(VALUE_OF(store().GetMapping(kT1, "m1")).next_run_at, T(5));
}

TEST_P(MappingStoreTest, OfManyReplicasClaimingOneDueRunExactlyOneWins) {
  MappingRecord m = Mapping(kT1, "m1");
  m.next_run_at = T(5);
  ASSERT_TRUE(store().CreateMapping(m).ok());
  constexpr int kThreads = 16;
  std::atomic<int> won{0}, lost{0};
  RunConcurrently(kThreads, [&](int i) {
    absl::StatusOr<bool> c = store().ClaimRun(kT1, "m1", T(5), T(100 + i));
    if (c.ok()) ++(*c ? won : lost);
  });
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(lost.load(), kThreads - 1);
  EXPECT_GE(VALUE_OF(store().GetMapping(kT1, "m1")).next_run_at, T(100));
}

TEST_P(MappingStoreTest, UpdateMappingReplacesTheDefinitionAlone) {
  const MappingRecord stored = MustCreateMapping(kT1, "m1");
  ASSERT_TRUE(store().SetMappingRun([&] {
    MappingRecord run = stored;
    run.watermark = "20250101000000Z";
    run.watermark_server = "ldap-a";
    run.last_full_at = T(50);
    return run;
  }()).ok());
  MappingRecord change = VALUE_OF(store().GetMapping(kT1, "m1"));
  change.name = "renamed";
  change.base_dn = "dc=other,dc=com";
  change.ou_dns = {"ou=new,dc=other,dc=com"};
  change.group_dns = {};
  change.sync_interval = absl::Minutes(30);
  change.next_run_at = T(500);
  change.watermark.clear();  // the scope changed: the next run is full
  change.watermark_server.clear();
  // Not the definition: these stay as stored.
  change.priority = 9;
  change.created_at = T(999);
  change.last_run_id = "forged";
  change.last_full_at = T(1);

  MappingRecord want = VALUE_OF(store().GetMapping(kT1, "m1"));
  want.name = "renamed";
  want.base_dn = "dc=other,dc=com";
  want.ou_dns = {"ou=new,dc=other,dc=com"};
  want.group_dns = {};
  want.sync_interval = absl::Minutes(30);
  want.next_run_at = T(500);
  want.watermark.clear();
  want.watermark_server.clear();
  EXPECT_EQ(VALUE_OF(store().UpdateMapping(change)), want);
  EXPECT_EQ(VALUE_OF(store().GetMapping(kT1, "m1")), want);
  EXPECT_THAT(VALUE_OF(store().DueMappings(T(499))), IsEmpty());
  EXPECT_THAT(VALUE_OF(store().DueMappings(T(500))), ElementsAre(Id("m1")));

  change.tenant_id = kT2;  // another tenant's, or nobody's
  EXPECT_CODE(store().UpdateMapping(change), kNotFound);
  EXPECT_CODE(store().UpdateMapping(Mapping(kT1, "ghost")), kNotFound);
  EXPECT_EQ(VALUE_OF(store().GetMapping(kT1, "m1")), want);
}

TEST_P(MappingStoreTest, DeleteMappingKeepsItsUsersUnmapped) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  const MappingRecord m2 = MustCreateMapping(kT1, "m2");
  ASSERT_TRUE(store().UpsertUsers(m1, "r1", {DirectoryUser(kT1, "a"), DirectoryUser(kT1, "b"),
                                             DirectoryUser(kT1, "c")}).ok());
  ASSERT_TRUE(store().ApplyRun(m1, "r1", T(20)).ok());
  // c left the directory already: it stays as it was.
  ASSERT_TRUE(store().UpsertUsers(m1, "r2", {DirectoryUser(kT1, "a"), DirectoryUser(kT1, "b")})
                  .ok());
  ASSERT_TRUE(store().ApplyRun(m1, "r2", T(30)).ok());
  ASSERT_TRUE(store().UpsertUsers(m2, "r3", {DirectoryUser(kT1, "z")}).ok());
  ASSERT_TRUE(store().CreateDeploymentToken("tok-m1", {kT1, "m1", T(1000)}).ok());
  ASSERT_TRUE(store().CreateDeploymentToken("tok-m2", {kT1, "m2", T(1000)}).ok());
  std::vector<UserRecord> before = AllUsers(kT1, "m1");
  ASSERT_EQ(before.size(), 3u);

  EXPECT_CODE(store().DeleteMapping(kT2, "m1", T(40)), kNotFound);  // not theirs
  EXPECT_CODE(store().DeleteMapping(kT1, "ghost", T(40)), kNotFound);
  EXPECT_EQ(VALUE_OF(store().DeleteMapping(kT1, "m1", T(40))), 2u);
  EXPECT_CODE(store().GetMapping(kT1, "m1"), kNotFound);
  EXPECT_CODE(store().DeleteMapping(kT1, "m1", T(41)), kNotFound);
  EXPECT_THAT(VALUE_OF(store().ListMappings(kT1)), ElementsAre(Id("m2")));
  EXPECT_THAT(VALUE_OF(store().DueMappings(T(100000))), ElementsAre(Id("m2")));
  EXPECT_CODE(store().GetDeploymentToken("tok-m1"), kNotFound);
  EXPECT_EQ(VALUE_OF(store().GetDeploymentToken("tok-m2")).mapping_id, "m2");
  // The users stay, under their ids, NOT_IN_DIRECTORY; the other mapping's
  // are untouched.
  std::vector<UserRecord> after = AllUsers(kT1, "m1");
  ASSERT_EQ(after.size(), 3u);
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].user_id, before[i].user_id);
    EXPECT_EQ(after[i].state, UserState::kNotInDirectory) << after[i].directory_id;
    EXPECT_EQ(after[i].imported_at,
              before[i].state == UserState::kActive ? T(40) : before[i].imported_at);
  }
  ASSERT_EQ(AllUsers(kT1, "m2").size(), 1u);
  EXPECT_EQ(AllUsers(kT1, "m2")[0].state, UserState::kActive);

  // A mapping that covers them takes them over, ACTIVE again.
  const MappingRecord m3 = MustCreateMapping(kT1, "m3");
  ASSERT_TRUE(store().UpsertUsers(m3, "r4", {DirectoryUser(kT1, "a")}).ok());
  ASSERT_TRUE(store().ApplyRun(m3, "r4", T(50)).ok());
  std::vector<UserRecord> taken = AllUsers(kT1, "m3");
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].directory_id, "a");
  EXPECT_EQ(taken[0].state, UserState::kActive);
  EXPECT_EQ(AllUsers(kT1, "m1").size(), 2u);
}

}  // namespace
}  // namespace dirbridge::cloud
