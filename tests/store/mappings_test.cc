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

}  // namespace
}  // namespace dirbridge::cloud
