#include <set>

#include "absl/strings/str_cat.h"
#include "tests/store/store_conformance.h"

namespace dirbridge::cloud {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

UpsertCounts Counts(uint64_t added, uint64_t updated, uint64_t unchanged) {
  return UpsertCounts{added, updated, unchanged};
}

// The user with this directory id among `users`, or a default one.
UserRecord ByDirectoryId(const std::vector<UserRecord>& users, absl::string_view directory_id) {
  for (const UserRecord& u : users) {
    if (u.directory_id == directory_id) return u;
  }
  ADD_FAILURE() << "no user " << directory_id;
  return UserRecord{};
}

TEST_P(UserStoreTest, AnImportAddsThenUpdatesOrLeavesUnchanged) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  std::vector<UserRecord> batch = {DirectoryUser(kT1, "a"), DirectoryUser(kT1, "b"),
                                   DirectoryUser(kT1, "c")};
  batch[0].user_id = "forged";  // the store names users itself
  batch[0].mapping_id = "other";
  batch[0].state = UserState::kNotInDirectory;
  EXPECT_EQ(VALUE_OF(store().UpsertUsers(m1, "r1", batch)), Counts(3, 0, 0));

  std::vector<UserRecord> stored = AllUsers(kT1, "m1");
  ASSERT_EQ(stored.size(), 3u);
  std::set<std::string> ids;
  for (const UserRecord& u : stored) ids.insert(u.user_id);
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids.count("forged"), 0u);
  UserRecord want = DirectoryUser(kT1, "a");
  want.user_id = ByDirectoryId(stored, "a").user_id;
  want.mapping_id = "m1";
  want.state = UserState::kActive;
  EXPECT_EQ(ByDirectoryId(stored, "a"), want);

  // The same chunk again changes nothing, imported_at included.
  for (UserRecord& u : batch) u.imported_at = T(20);
  EXPECT_EQ(VALUE_OF(store().UpsertUsers(m1, "r2", batch)), Counts(0, 0, 3));
  EXPECT_EQ(AllUsers(kT1, "m1"), stored);

  batch[1].email = "new@example.com";
  EXPECT_EQ(VALUE_OF(store().UpsertUsers(m1, "r3", batch)), Counts(0, 1, 2));
  UserRecord b = ByDirectoryId(AllUsers(kT1, "m1"), "b");
  EXPECT_EQ(b.email, "new@example.com");
  EXPECT_EQ(b.imported_at, T(20));
  EXPECT_EQ(b.user_id, ByDirectoryId(stored, "b").user_id);
  EXPECT_EQ(ByDirectoryId(AllUsers(kT1, "m1"), "a").imported_at, T(10));
}

TEST_P(UserStoreTest, EachDirectoryFieldCountsAsAnUpdate) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  const UserRecord base = DirectoryUser(kT1, "a");
  ASSERT_TRUE(store().UpsertUsers(m1, "r0", {base}).ok());
  std::vector<std::function<void(UserRecord&)>> edits = {
      [](UserRecord& u) { u.dn = "uid=a,ou=moved,dc=example,dc=com"; },
      [](UserRecord& u) { u.username = "renamed"; },
      [](UserRecord& u) { u.user_principal_name = "renamed@example.com"; },
      [](UserRecord& u) { u.email = "renamed@example.org"; },
      [](UserRecord& u) { u.display_name = "Renamed"; },
      [](UserRecord& u) { u.groups = {"cn=vpn,ou=groups,dc=example,dc=com"}; },
      [](UserRecord& u) { u.disabled = true; },
  };
  UserRecord current = base;
  for (size_t i = 0; i < edits.size(); ++i) {
    edits[i](current);
    EXPECT_EQ(VALUE_OF(store().UpsertUsers(m1, absl::StrCat("r", i + 1), {current})), Counts(0, 1, 0))
        << "edit " << i;
  }
  std::vector<UserRecord> stored = AllUsers(kT1, "m1");
  ASSERT_EQ(stored.size(), 1u);  // a rename or a move is the same user
  UserRecord want = current;
  want.user_id = stored[0].user_id;
  want.mapping_id = "m1";
  EXPECT_EQ(stored[0], want);
}

TEST_P(UserStoreTest, AnOlderMappingKeepsItsUsers) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");  // older: wins
  const MappingRecord m2 = MustCreateMapping(kT1, "m2");
  ASSERT_TRUE(store().UpsertUsers(m1, "r1", {DirectoryUser(kT1, "a")}).ok());
  UserRecord changed = DirectoryUser(kT1, "a");
  changed.email = "via-m2@example.com";
  EXPECT_EQ(VALUE_OF(store().UpsertUsers(m2, "r2", {changed})), Counts(0, 0, 1));
  EXPECT_THAT(AllUsers(kT1, "m2"), IsEmpty());
  ASSERT_EQ(AllUsers(kT1, "m1").size(), 1u);
  EXPECT_EQ(AllUsers(kT1, "m1")[0].email, DirectoryUser(kT1, "a").email);
  EXPECT_EQ(VALUE_OF(store().CountUnseen(m1, "r1")), 0u);  // m2's run did not take it

  // A newer mapping's user moves to the older one that finds it.
  ASSERT_TRUE(store().UpsertUsers(m2, "r3", {DirectoryUser(kT1, "b")}).ok());
  std::string b_id = AllUsers(kT1, "m2").at(0).user_id;
  EXPECT_EQ(VALUE_OF(store().UpsertUsers(m1, "r4", {DirectoryUser(kT1, "b")})), Counts(0, 1, 0));
  EXPECT_THAT(AllUsers(kT1, "m2"), IsEmpty());
  EXPECT_EQ(ByDirectoryId(AllUsers(kT1, "m1"), "b").user_id, b_id);
}

TEST_P(UserStoreTest, UsersOfAnotherTenantAreRefusedAndSeparate) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  EXPECT_CODE(store().UpsertUsers(m1, "r1", {DirectoryUser(kT1, "a"), DirectoryUser(kT2, "b")}),
              kInvalidArgument);
  EXPECT_THAT(AllUsers(kT1, "m1"), IsEmpty());  // nothing written

  ASSERT_TRUE(store().UpsertUsers(m1, "r1", {DirectoryUser(kT1, "a")}).ok());
  const MappingRecord m9 = MustCreateMapping(kT2, "m9");
  // The same directory id in another tenant is another user.
  EXPECT_EQ(VALUE_OF(store().UpsertUsers(m9, "r1", {DirectoryUser(kT2, "a")})), Counts(1, 0, 0));
  EXPECT_NE(AllUsers(kT2, "m9").at(0).user_id, AllUsers(kT1, "m1").at(0).user_id);

  MappingRecord theirs = m1;  // t1's mapping id under t2's name
  theirs.tenant_id = kT2;
  EXPECT_THAT(VALUE_OF(store().ListUsers(kT2, "m1", "", 10)), IsEmpty());
  EXPECT_EQ(VALUE_OF(store().CountActive(theirs)), 0u);
  EXPECT_EQ(VALUE_OF(store().CountUnseen(theirs, "other-run")), 0u);
  EXPECT_EQ(VALUE_OF(store().ApplyRun(theirs, "other-run", T(30))), std::make_pair(uint64_t{0}, uint64_t{0}));
  EXPECT_EQ(AllUsers(kT1, "m1").at(0).state, UserState::kActive);
}

TEST_P(UserStoreTest, ARunMarksTheUnseenAndBringsBackTheSeen) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  const MappingRecord m2 = MustCreateMapping(kT1, "m2");
  ASSERT_TRUE(store()
                  .UpsertUsers(m1, "r1",
                               {DirectoryUser(kT1, "a"), DirectoryUser(kT1, "b"),
                                DirectoryUser(kT1, "c")})
                  .ok());
  ASSERT_TRUE(store().UpsertUsers(m2, "q1", {DirectoryUser(kT1, "z")}).ok());
  EXPECT_EQ(VALUE_OF(store().CountActive(m1)), 3u);
  EXPECT_EQ(VALUE_OF(store().CountUnseen(m1, "r1")), 0u);

  ASSERT_TRUE(store().UpsertUsers(m1, "r2", {DirectoryUser(kT1, "a"), DirectoryUser(kT1, "b")}).ok());
  EXPECT_EQ(VALUE_OF(store().CountUnseen(m1, "r2")), 1u);
  EXPECT_EQ(VALUE_OF(store().ApplyRun(m1, "r2", T(40))), std::make_pair(uint64_t{1}, uint64_t{0}));
  UserRecord c = ByDirectoryId(AllUsers(kT1, "m1"), "c");
  EXPECT_EQ(c.state, UserState::kNotInDirectory);
  EXPECT_EQ(c.imported_at, T(40));
  EXPECT_EQ(VALUE_OF(store().CountActive(m1)), 2u);
  EXPECT_EQ(VALUE_OF(store().CountUnseen(m1, "r2")), 0u);  // only ACTIVE users count
  EXPECT_EQ(AllUsers(kT1, "m2").at(0).state, UserState::kActive);  // another mapping's run

  ASSERT_TRUE(store()
                  .UpsertUsers(m1, "r3",
                               {DirectoryUser(kT1, "a"), DirectoryUser(kT1, "b"),
                                DirectoryUser(kT1, "c")})
                  .ok());
  EXPECT_EQ(VALUE_OF(store().ApplyRun(m1, "r3", T(50))), std::make_pair(uint64_t{0}, uint64_t{1}));
  c = ByDirectoryId(AllUsers(kT1, "m1"), "c");
  EXPECT_EQ(c.state, UserState::kActive);
  EXPECT_EQ(c.imported_at, T(50));
  EXPECT_EQ(ByDirectoryId(AllUsers(kT1, "m1"), "a").imported_at, T(10));  // untouched
  EXPECT_EQ(VALUE_OF(store().CountActive(m1)), 3u);
  EXPECT_EQ(VALUE_OF(store().ApplyRun(m1, "r3", T(60))), std::make_pair(uint64_t{0}, uint64_t{0}));
}

TEST_P(UserStoreTest, ListUsersPagesInUserIdOrder) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  const MappingRecord m2 = MustCreateMapping(kT1, "m2");
  std::vector<UserRecord> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(DirectoryUser(kT1, absl::StrCat("u", i)));
  ASSERT_TRUE(store().UpsertUsers(m1, "r1", batch).ok());
  ASSERT_TRUE(store().UpsertUsers(m2, "q1", {DirectoryUser(kT1, "other")}).ok());

  std::vector<UserRecord> pages;
  std::string after;
  std::vector<size_t> sizes;
  while (true) {
    absl::StatusOr<std::vector<UserRecord>> page = store().ListUsers(kT1, "m1", after, 2);
    ASSERT_TRUE(page.ok()) << page.status();
    sizes.push_back(page->size());
    if (page->empty() || sizes.size() > 5) break;  // a page that does not move on: stop
    after = page->back().user_id;
    pages.insert(pages.end(), page->begin(), page->end());
  }
  EXPECT_THAT(sizes, ElementsAre(2, 2, 1, 0));
  ASSERT_EQ(pages.size(), 5u);
  for (size_t i = 1; i < pages.size(); ++i) EXPECT_LT(pages[i - 1].user_id, pages[i].user_id);
  for (const UserRecord& u : pages) EXPECT_EQ(u.mapping_id, "m1");

  EXPECT_EQ(VALUE_OF(store().ListUsers(kT1, "m1", "", 100)).size(), 5u);
  EXPECT_THAT(VALUE_OF(store().ListUsers(kT1, "m1", pages.back().user_id, 100)), IsEmpty());
  EXPECT_EQ(VALUE_OF(store().ListUsers(kT1, "m1", pages[2].user_id, 100)).size(), 2u);
  EXPECT_THAT(VALUE_OF(store().ListUsers(kT1, "ghost", "", 100)), IsEmpty());
  EXPECT_CODE(store().ListUsers(kT1, "m1", "", 0), kInvalidArgument);
  EXPECT_CODE(store().ListUsers(kT1, "m1", "", -1), kInvalidArgument);
}

TEST_P(UserStoreTest, AChunkOfManyIsOneUpsert) {
  const MappingRecord m1 = MustCreateMapping(kT1, "m1");
  std::vector<UserRecord> batch;
  for (int i = 0; i < 1000; ++i) batch.push_back(DirectoryUser(kT1, absl::StrCat("bulk-", i)));
  EXPECT_EQ(VALUE_OF(store().UpsertUsers(m1, "r1", batch)), Counts(1000, 0, 0));
  EXPECT_EQ(VALUE_OF(store().UpsertUsers(m1, "r2", batch)), Counts(0, 0, 1000));
  EXPECT_EQ(VALUE_OF(store().CountActive(m1)), 1000u);
  EXPECT_EQ(VALUE_OF(store().CountUnseen(m1, "r2")), 0u);
  EXPECT_EQ(AllUsers(kT1, "m1").size(), 1000u);
}

}  // namespace
}  // namespace dirbridge::cloud
