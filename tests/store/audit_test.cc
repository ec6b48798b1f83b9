#include "absl/strings/str_cat.h"
#include "tests/store/store_conformance.h"

namespace dirbridge::cloud {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

auto Action(absl::string_view a) { return Field(&AuditRecord::action, std::string(a)); }

AuditRecord Entry(absl::string_view tenant, absl::Time at, absl::string_view action) {
  return AuditRecord{std::string(tenant), at, "admin", std::string(action), "c1",
                     absl::StrCat("did ", action)};
}

TEST_P(AuditStoreTest, EntriesListNewestFirst) {
  ASSERT_TRUE(store().AppendAudit(Entry(kT1, T(1), "first")).ok());
  ASSERT_TRUE(store().AppendAudit(Entry(kT1, T(3), "third")).ok());
  ASSERT_TRUE(store().AppendAudit(Entry(kT1, T(2), "second")).ok());
  ASSERT_TRUE(store().AppendAudit(Entry(kT1, T(2), "second-later")).ok());
  EXPECT_THAT(VALUE_OF(store().ListAudit(kT1, 10)), ElementsAre(Action("third"), Action("second-later"),
                                                       Action("second"), Action("first")));
  EXPECT_EQ(VALUE_OF(store().ListAudit(kT1, 10)).back(), Entry(kT1, T(1), "first"));  // every field kept
}

TEST_P(AuditStoreTest, ALimitKeepsTheNewest) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store().AppendAudit(Entry(kT1, T(i), absl::StrCat("e", i))).ok());
  }
  EXPECT_THAT(VALUE_OF(store().ListAudit(kT1, 2)), ElementsAre(Action("e4"), Action("e3")));
  EXPECT_EQ(VALUE_OF(store().ListAudit(kT1, 1)).size(), 1u);
  EXPECT_CODE(store().ListAudit(kT1, 0), kInvalidArgument);
  EXPECT_CODE(store().ListAudit(kT1, -5), kInvalidArgument);
}

TEST_P(AuditStoreTest, EachTenantSeesOnlyItsOwnLog) {
  ASSERT_TRUE(store().AppendAudit(Entry(kT1, T(1), "mine")).ok());
  ASSERT_TRUE(store().AppendAudit(Entry(kT2, T(2), "theirs")).ok());
  EXPECT_THAT(VALUE_OF(store().ListAudit(kT1, 10)), ElementsAre(Action("mine")));
  EXPECT_THAT(VALUE_OF(store().ListAudit(kT2, 10)), ElementsAre(Action("theirs")));
  EXPECT_THAT(VALUE_OF(store().ListAudit("t-unknown", 10)), IsEmpty());
  EXPECT_CODE(store().AppendAudit(Entry("t-unknown", T(3), "x")), kFailedPrecondition);
}

}  // namespace
}  // namespace dirbridge::cloud
