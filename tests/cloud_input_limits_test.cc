// cloud_svc's budgets on what a tenant sends, tested without a server: the
// login throttle's keys and memory, the username limit, Activate's parsed
// "inside the mapping" check and the quota errors.

#include "cloud_svc/api/auth_throttle.h"
#include "cloud_svc/api/deployment_service.h"
#include "cloud_svc/api/quotas.h"
#include "cloud_svc/api/username.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dirbridge::cloud {
namespace {

using ::testing::HasSubstr;

absl::Time fake_now = absl::FromUnixSeconds(1000000);
absl::Time FakeNow() { return fake_now; }

ThrottleLimits Limits(int per_user, int per_tenant, size_t max_buckets = 100000) {
  ThrottleLimits l;
  l.per_user = per_user;
  l.per_tenant = per_tenant;
  l.window = absl::Minutes(10);
  l.max_buckets = max_buckets;
  return l;
}

TEST(ThrottleUsernameTest, KeysOnTheUserTheDirectoryResolves) {
  EXPECT_EQ(ThrottleUsername("alice"), "alice");
  EXPECT_EQ(ThrottleUsername("X\\alice"), "alice");
  EXPECT_EQ(ThrottleUsername("Y\\Alice"), "alice");
  EXPECT_EQ(ThrottleUsername("ALICE@corp.example"), "alice");
  EXPECT_EQ(ThrottleUsername("X\\alice@corp.example"), "alice");
  // What the connector takes as typed stays as typed.
  EXPECT_EQ(ThrottleUsername("\\alice"), "\\alice");
  EXPECT_EQ(ThrottleUsername("alice@"), "alice@");
  EXPECT_EQ(ThrottleUsername("@corp"), "@corp");
}

TEST(AuthThrottleLimitsTest, EverySpellingOfAUserSharesOneBucket) {
  AuthThrottle t(Limits(3, 1000), &FakeNow);
  t.RecordFailure("t1", "X\\alice");
  t.RecordFailure("t1", "Y\\alice");
  t.RecordFailure("t1", "alice@corp.example");
  for (const char* name : {"alice", "ALICE", "Z\\Alice", "alice@other"}) {
    EXPECT_FALSE(t.Allow("t1", name)) << name;
  }
  EXPECT_TRUE(t.Allow("t1", "bob"));
  EXPECT_TRUE(t.Allow("t2", "alice"));  // another tenant's alice
}

TEST(AuthThrottleLimitsTest, OnlyFailuresMakeBuckets) {
  AuthThrottle t(Limits(3, 1000), &FakeNow);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(t.Allow("t1", absl::StrCat("user", i)));
  EXPECT_EQ(t.user_buckets(), 0u);
}

TEST(AuthThrottleLimitsTest, MemoryIsCappedAndRefilledBucketsGoFirst) {
  AuthThrottle t(Limits(3, 1000000, /*max_buckets=*/100), &FakeNow);
  // A victim whose bucket is spent, then a flood of one-failure names.
  for (int i = 0; i < 3; ++i) t.RecordFailure("t1", "victim");
  fake_now += absl::Minutes(20);  // every bucket so far is refilled...
  for (int i = 0; i < 3; ++i) t.RecordFailure("t1", "victim");  // ...but the victim fails again
  for (int i = 0; i < 1000; ++i) {
    t.RecordFailure("t1", absl::StrCat("flood", i));
    EXPECT_LE(t.user_buckets(), 100u);
  }
  // The victim's bucket holds the most information (empty): it stayed.
  EXPECT_FALSE(t.Allow("t1", "victim"));
}

TEST(UsernameTest, AUsernameHasALimitAtTheCloud) {
  EXPECT_TRUE(CheckUsername("alice").ok());
  EXPECT_TRUE(CheckUsername(std::string(kMaxUsernameBytes, 'a')).ok());
  absl::Status st = CheckUsername(std::string(kMaxUsernameBytes + 1, 'a'));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("256"));
  EXPECT_EQ(CheckUsername("").code(), absl::StatusCode::kInvalidArgument);
}

MappingRecord PeopleMapping() {
  MappingRecord m;
  m.base_dn = "dc=example,dc=com";
  m.ou_dns = {"ou=People,dc=example,dc=com"};
  return m;
}

v1::User UserAt(const std::string& dn) {
  v1::User u;
  u.set_dn(dn);
  return u;
}

TEST(InMappingTest, ComparesParsedDns) {
  const MappingRecord m = PeopleMapping();
  EXPECT_TRUE(InMapping(m, UserAt("uid=alice,ou=People,dc=example,dc=com")));
  EXPECT_TRUE(InMapping(m, UserAt("UID=alice, OU=people, DC=Example, DC=com")));
  EXPECT_TRUE(InMapping(m, UserAt("cn=a\\,b,ou=People,dc=example,dc=com")));
  // An escaped comma keeps the user where it is: under dc=example, not People.
  EXPECT_FALSE(InMapping(m, UserAt("cn=x\\,ou=People,dc=example,dc=com")));
  EXPECT_FALSE(InMapping(m, UserAt("cn=x\\2cou=People,dc=example,dc=com")));
  EXPECT_FALSE(InMapping(m, UserAt("uid=eve,ou=Staff,dc=example,dc=com")));
  EXPECT_FALSE(InMapping(m, UserAt("uid=eve,ou=People,dc=example,dc=com,dc=evil")));
  EXPECT_FALSE(InMapping(m, UserAt("not a dn")));
  EXPECT_FALSE(InMapping(m, UserAt("")));
}

TEST(InMappingTest, GroupsCompareParsedToo) {
  MappingRecord m = PeopleMapping();
  m.group_dns = {"cn=Staff,ou=Groups,dc=example,dc=com"};
  v1::User u = UserAt("uid=alice,ou=People,dc=example,dc=com");
  u.add_groups("cn=staff, ou=groups, dc=example, dc=com");
  EXPECT_TRUE(InMapping(m, u));
  v1::User v = UserAt("uid=bob,ou=People,dc=example,dc=com");
  v.add_groups("cn=Staff\\,ou=Groups,dc=example,dc=com");
  EXPECT_FALSE(InMapping(m, v));
}

TEST(QuotaTest, NamesTheQuotaAndItsFlag) {
  EXPECT_TRUE(CheckQuota(uint64_t{49}, 50, "connectors", "--max_connectors_per_tenant").ok());
  absl::Status st = CheckQuota(uint64_t{50}, 50, "connectors", "--max_connectors_per_tenant");
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(st.message()), HasSubstr("50 connectors"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("--max_connectors_per_tenant"));
  EXPECT_EQ(CheckQuota(absl::UnavailableError("busy"), 50, "x", "--x").code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace dirbridge::cloud
