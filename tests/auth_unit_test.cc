// The pieces of Authenticate that need no server.

#include <ldap.h>

#include "cloud_svc/api/auth_throttle.h"
#include "common/crypto.h"
#include "common/sealed_password.h"
#include "connector_svc/dispatcher.h"
#include "connector_svc/ldap/bind_outcome.h"
#include "connector_svc/ldap/fake_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dispatch_and_wait.h"

namespace dirbridge {
namespace {

using connector::BindOutcome;

TEST(BindOutcomeTest, ActiveDirectorySubCodes) {
  auto ad = [](const char* code) {
    return BindOutcome(LDAP_INVALID_CREDENTIALS,
                       absl::StrCat("80090308: LdapErr: DSID-0C09042A, comment: "
                                    "AcceptSecurityContext error, data ", code, ", v4563"),
                       -1);
  };
  EXPECT_EQ(ad("525"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(ad("52e"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(ad("530"), v1::AUTH_RESULT_ACCOUNT_DISABLED);
  EXPECT_EQ(ad("531"), v1::AUTH_RESULT_ACCOUNT_DISABLED);
  EXPECT_EQ(ad("532"), v1::AUTH_RESULT_PASSWORD_EXPIRED);
  EXPECT_EQ(ad("533"), v1::AUTH_RESULT_ACCOUNT_DISABLED);
  EXPECT_EQ(ad("701"), v1::AUTH_RESULT_ACCOUNT_EXPIRED);
  EXPECT_EQ(ad("773"), v1::AUTH_RESULT_MUST_CHANGE_PASSWORD);
  EXPECT_EQ(ad("775"), v1::AUTH_RESULT_ACCOUNT_LOCKED);
  EXPECT_EQ(ad("999"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(BindOutcome(LDAP_INVALID_CREDENTIALS, "", -1), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(BindOutcome(LDAP_SUCCESS, "", -1), v1::AUTH_RESULT_OK);
}

TEST(BindOutcomeTest, PasswordPolicyControl) {
  EXPECT_EQ(BindOutcome(LDAP_INVALID_CREDENTIALS, "", PP_passwordExpired),
            v1::AUTH_RESULT_PASSWORD_EXPIRED);
  EXPECT_EQ(BindOutcome(LDAP_INVALID_CREDENTIALS, "", PP_accountLocked),
            v1::AUTH_RESULT_ACCOUNT_LOCKED);
  EXPECT_EQ(BindOutcome(LDAP_SUCCESS, "", PP_changeAfterReset),
            v1::AUTH_RESULT_MUST_CHANGE_PASSWORD);
}

absl::Time fake_now = absl::FromUnixSeconds(1000000);
absl::Time FakeNow() { return fake_now; }

TEST(AuthThrottleTest, BucketsEmptyAndRefill) {
  cloud::AuthThrottle t({3, 5, absl::Minutes(3)}, &FakeNow);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(t.Allow("t1", "alice"));
    t.RecordFailure("t1", "alice");
  }
  EXPECT_FALSE(t.Allow("t1", "alice"));
  EXPECT_FALSE(t.Allow("t1", "ALICE"));  // same person
  EXPECT_TRUE(t.Allow("t2", "alice"));   // another tenant's alice
  EXPECT_TRUE(t.Allow("t1", "bob"));
  t.RecordFailure("t1", "bob");
  t.RecordFailure("t1", "carol");
  EXPECT_FALSE(t.Allow("t1", "dave"));  // the tenant's 5 are spent
  fake_now += absl::Minutes(1);         // one token back per minute
  EXPECT_TRUE(t.Allow("t1", "alice"));
  t.RecordFailure("t1", "alice");
  EXPECT_FALSE(t.Allow("t1", "alice"));
}

class DispatcherAuthTest : public ::testing::Test {
 protected:
  DispatcherAuthTest()
      : key_(*crypto::GenerateX25519()), dispatcher_(&directory_, 2, "tenant-1", key_) {
    directory_.SetPassword("alice", "right");
  }
  v1::CallResult Run(v1::AuthenticateRequest req) {
    v1::CallRequest call;
    call.set_call_id(1);
    *call.mutable_authenticate() = std::move(req);
    return connector::DispatchAndWait(dispatcher_, call, absl::Seconds(5));
  }
  v1::CallResult RunChange(v1::ChangePasswordRequest req) {
    v1::CallRequest call;
    call.set_call_id(1);
    *call.mutable_change_password() = std::move(req);
    return connector::DispatchAndWait(dispatcher_, call, absl::Seconds(5));
  }
  std::string Box(const std::string& pw, const std::string& tenant, const std::string& user) {
    return *crypto::Seal(key_.public_key, pw, SealedPasswordAad(tenant, user),
                         kSealedPasswordInfo);
  }
  connector::FakeDirectory directory_;
  crypto::X25519KeyPair key_;
  connector::Dispatcher dispatcher_;
};

TEST_F(DispatcherAuthTest, SealedAndPlainPasswords) {
  v1::AuthenticateRequest req;
  req.set_username("alice");
  req.set_sealed_password(Box("right", "tenant-1", "alice"));
  v1::CallResult r = Run(req);
  ASSERT_EQ(r.code(), 0) << r.message();
  EXPECT_EQ(r.authenticate().result(), v1::AUTH_RESULT_OK);

  req.set_sealed_password(Box("right", "tenant-2", "alice"));  // another tenant's box
  EXPECT_EQ(Run(req).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  req.set_sealed_password(Box("right", "tenant-1", "bob"));  // another user's box
  EXPECT_EQ(Run(req).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));

  req.clear_sealed_password();
  req.set_password("wrong");
  r = Run(req);
  EXPECT_EQ(r.authenticate().result(), v1::AUTH_RESULT_INVALID_CREDENTIALS);
}

TEST_F(DispatcherAuthTest, BlankPasswordsNeverReachTheDirectory) {
  for (const std::string& pw : {std::string(), std::string("  "), std::string("\t\r\n")}) {
    v1::AuthenticateRequest req;
    req.set_username("alice");
    req.set_password(pw);
    EXPECT_EQ(Run(req).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
    req.clear_password();
    req.set_sealed_password(Box(pw, "tenant-1", "alice"));
    EXPECT_EQ(Run(req).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_TRUE(directory_.checked_passwords().empty());
}

TEST_F(DispatcherAuthTest, ChangePasswordSealedPlainAndBlank) {
  v1::ChangePasswordRequest req;
  req.set_username("alice");
  req.set_sealed_old_password(Box("right", "tenant-1", "alice"));
  req.set_sealed_new_password(Box("right-two", "tenant-1", "alice"));
  v1::CallResult r = RunChange(req);
  ASSERT_EQ(r.code(), 0) << r.message();
  EXPECT_EQ(r.change_password().result(), v1::AUTH_RESULT_OK);
  // Now the old one is wrong.
  req.set_sealed_new_password(Box("right-three", "tenant-1", "alice"));
  EXPECT_EQ(RunChange(req).change_password().result(), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  // Another user's box for the new password: refused, naming the field.
  req.set_sealed_old_password(Box("right-two", "tenant-1", "alice"));
  req.set_sealed_new_password(Box("right-three", "tenant-1", "bob"));
  r = RunChange(req);
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(r.field(), "sealed_new_password");
  // Blank, sealed or not, never reaches the directory.
  size_t checked = directory_.checked_passwords().size();
  req.set_sealed_new_password(Box("  ", "tenant-1", "alice"));
  r = RunChange(req);
  EXPECT_EQ(r.field(), "new_password");
  req.clear_sealed_old_password();
  req.set_old_password("\t");
  EXPECT_EQ(RunChange(req).field(), "old_password");
  EXPECT_EQ(directory_.checked_passwords().size(), checked);
  // The directory's policy speaks through the result.
  req.clear_old_password();
  req.set_sealed_old_password(Box("right-two", "tenant-1", "alice"));
  req.set_sealed_new_password(Box("short", "tenant-1", "alice"));
  r = RunChange(req);
  EXPECT_EQ(r.change_password().result(), v1::AUTH_RESULT_PASSWORD_REJECTED);
  EXPECT_THAT(r.change_password().message(), ::testing::HasSubstr("minimum length"));
}

}  // namespace
}  // namespace dirbridge
