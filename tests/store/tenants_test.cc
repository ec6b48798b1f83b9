#include "tests/store/store_conformance.h"

namespace dirbridge::cloud {
namespace {

TEST_P(TenantStoreTest, FindsATenantByItsTokenHash) {
  absl::StatusOr<TenantRecord> t = store().TenantByTokenHash("hash-t1");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, (TenantRecord{kT1, "acme", T(0)}));
  EXPECT_EQ(VALUE_OF(store().TenantByTokenHash("hash-t2")).tenant_id, kT2);
  EXPECT_CODE(store().TenantByTokenHash("nope"), kNotFound);
  EXPECT_CODE(store().TenantByTokenHash(""), kNotFound);
}

TEST_P(TenantStoreTest, ATokenHashAndATenantIdNameOneTenant) {
  EXPECT_CODE(store().CreateTenant({"t3", "x", T(1)}, "hash-t1"), kAlreadyExists);
  EXPECT_CODE(store().CreateTenant({kT1, "again", T(1)}, "hash-new"), kAlreadyExists);
  // Neither refused write left anything behind.
  EXPECT_EQ(VALUE_OF(store().TenantByTokenHash("hash-t1")).name, "acme");
  EXPECT_CODE(store().TenantByTokenHash("hash-new"), kNotFound);
  ASSERT_TRUE(store().CreateTenant({"t3", "initech", T(1)}, "hash-t3").ok());
  EXPECT_EQ(VALUE_OF(store().TenantByTokenHash("hash-t3")).name, "initech");
}

}  // namespace
}  // namespace dirbridge::cloud
