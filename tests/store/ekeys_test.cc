#include <set>

#include "absl/strings/str_cat.h"
#include "tests/store/store_conformance.h"

namespace dirbridge::cloud {
namespace {

using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

auto KeyId(absl::string_view id) { return Field(&EkeyRecord::key_id, std::string(id)); }

TEST_P(EkeyStoreTest, AUserWithoutAnEkeyHasNone) {
  EXPECT_CODE(store().CurrentEkey(kT1, "u1"), kNotFound);
  EXPECT_THAT(VALUE_OF(store().CurrentEkeys(kT1, {"u1", "u2"})), IsEmpty());
  EXPECT_THAT(VALUE_OF(store().CurrentEkeys(kT1, {})), IsEmpty());
}

TEST_P(EkeyStoreTest, WithoutReplaceTheFirstEkeyStays) {
  const EkeyRecord k1 = Ekey(kT1, "u1", "k1");
  EXPECT_EQ(VALUE_OF(store().PutEkey(k1, /*replace=*/false)), k1);
  EXPECT_EQ(VALUE_OF(store().CurrentEkey(kT1, "u1")), k1);  // wrapped bytes exactly as given
  EXPECT_EQ(VALUE_OF(store().PutEkey(Ekey(kT1, "u1", "k2"), false)), k1);
  EXPECT_EQ(VALUE_OF(store().CurrentEkey(kT1, "u1")), k1);
  // k2 was never stored: its id is still free.
  EXPECT_TRUE(store().PutEkey(Ekey(kT1, "u2", "k2"), false).ok());
}

TEST_P(EkeyStoreTest, WithReplaceANewEkeyBecomesCurrentAndTheOldOneIsKept) {
  ASSERT_TRUE(store().PutEkey(Ekey(kT1, "u1", "k1"), false).ok());
  EkeyRecord k2 = Ekey(kT1, "u1", "k2");
  k2.kek_version = 4;
  EXPECT_EQ(VALUE_OF(store().PutEkey(k2, /*replace=*/true)), k2);
  EXPECT_EQ(VALUE_OF(store().CurrentEkey(kT1, "u1")), k2);
  EXPECT_THAT(VALUE_OF(store().CurrentEkeys(kT1, {"u1"})), UnorderedElementsAre(k2));
  // k1 is kept (for the data it protects): its id stays taken.
  EXPECT_CODE(store().PutEkey(Ekey(kT1, "u1", "k1"), true), kAlreadyExists);
  EXPECT_EQ(VALUE_OF(store().CurrentEkey(kT1, "u1")), k2);
  // Replacing when there is none simply stores it.
  EXPECT_EQ(VALUE_OF(store().PutEkey(Ekey(kT1, "u3", "k3"), true)).key_id, "k3");
}

TEST_P(EkeyStoreTest, RacingProvisionsEndWithOneEkey) {
  constexpr int kThreads = 8;
  std::vector<std::string> returned(kThreads);
  RunConcurrently(kThreads, [&](int i) {
    absl::StatusOr<EkeyRecord> e = store().PutEkey(Ekey(kT1, "u1", absl::StrCat("k", i)), false);
    if (e.ok()) returned[i] = e->key_id;
  });
  absl::StatusOr<EkeyRecord> current = store().CurrentEkey(kT1, "u1");
  ASSERT_TRUE(current.ok()) << current.status();
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(returned[i], current->key_id) << "thread " << i;
}

TEST_P(EkeyStoreTest, CurrentEkeysLeavesOutUsersWithoutOne) {
  ASSERT_TRUE(store().PutEkey(Ekey(kT1, "u1", "k1"), false).ok());
  ASSERT_TRUE(store().PutEkey(Ekey(kT1, "u2", "k2"), false).ok());
  ASSERT_TRUE(store().PutEkey(Ekey(kT1, "u2", "k2b"), true).ok());
  EXPECT_THAT(VALUE_OF(store().CurrentEkeys(kT1, {"u1", "u3", "u2", "u1"})),
              UnorderedElementsAre(KeyId("k1"), KeyId("k2b")));
}

TEST_P(EkeyStoreTest, ManyUsersAtOnce) {
  std::vector<std::string> ids;
  for (int i = 0; i < 1100; ++i) {
    ids.push_back(absl::StrCat("u", i));
    if (i % 3 == 0) continue;  // every third user has none
    ASSERT_TRUE(store().PutEkey(Ekey(kT1, ids.back(), absl::StrCat("k", i)), false).ok());
  }
  std::vector<EkeyRecord> got = VALUE_OF(store().CurrentEkeys(kT1, ids));
  std::set<std::string> users;
  for (const EkeyRecord& e : got) users.insert(e.user_id);
  EXPECT_EQ(got.size(), 733u);
  EXPECT_EQ(users.size(), 733u);
  EXPECT_EQ(users.count("u0"), 0u);
  EXPECT_EQ(users.count("u1099"), 1u);
}

TEST_P(EkeyStoreTest, AnotherTenantsUserIsAnotherUser) {
  const EkeyRecord mine = Ekey(kT1, "u1", "k1");
  ASSERT_TRUE(store().PutEkey(mine, false).ok());
  EXPECT_CODE(store().CurrentEkey(kT2, "u1"), kNotFound);
  EXPECT_THAT(VALUE_OF(store().CurrentEkeys(kT2, {"u1"})), IsEmpty());
  const EkeyRecord theirs = Ekey(kT2, "u1", "k9");
  EXPECT_EQ(VALUE_OF(store().PutEkey(theirs, false)), theirs);  // not t1's, which it does not see
  EXPECT_EQ(VALUE_OF(store().CurrentEkey(kT2, "u1")), theirs);
  EXPECT_EQ(VALUE_OF(store().CurrentEkey(kT1, "u1")), mine);
  EXPECT_CODE(store().PutEkey(Ekey("t-unknown", "u1", "k8"), false), kFailedPrecondition);
}

}  // namespace
}  // namespace dirbridge::cloud
