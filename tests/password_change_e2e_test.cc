// Auth.ChangePassword end to end on a real slapd with the password-policy
// overlay: the change as the user (RFC 3062 Password Modify), ppolicy's
// refusals typed, must-change and expired users, sealed passwords, the
// throttle shared with Authenticate, and no password in any log. Every new
// password starts "N3w-P" so that tests/run.sh's log scan looks for it.

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/sealed_password.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/auth_fixture.h"
#include "tests/harness/bad_request.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

class PasswordChangeTest : public AuthTest {
 protected:
  void Start(std::vector<std::string> cloud_flags = {}, std::string ppolicy_extra = "") {
    SlapdOptions opts;
    opts.ppolicy_extra = std::move(ppolicy_extra);
    AuthTest::Start(std::move(cloud_flags), opts);
  }

  grpc::Status Change(const v1::ChangePasswordRequest& req, v1::ChangePasswordResponse* out) {
    return auth_->ChangePassword(Ctx(tenant_.token).get(), req, out);
  }
  grpc::Status Change(const std::string& user, const std::string& old_pw,
                      const std::string& new_pw, v1::ChangePasswordResponse* out) {
    v1::ChangePasswordRequest req;
    req.set_username(user);
    req.set_old_password(old_pw);
    req.set_new_password(new_pw);
    return Change(req, out);
  }
  v1::AuthResult ChangeResult(const std::string& user, const std::string& old_pw,
                              const std::string& new_pw) {
    v1::ChangePasswordResponse resp;
    grpc::Status st = Change(user, old_pw, new_pw, &resp);
    EXPECT_TRUE(st.ok()) << user << ": " << st.error_message();
    return resp.result();
  }
  v1::AuthResult Login(const std::string& user, const std::string& password) {
    return Result(user, password);
  }
  std::string Seal(const std::string& password, const std::string& user) {
    absl::StatusOr<v1::Connector> c =
        cloud_.GetConnector(tenant_.token, connector_->connector_id());
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return "";
    auto box = crypto::Seal(c->password_public_key(), password,
                            SealedPasswordAad(tenant_.tenant_id, user), kSealedPasswordInfo);
    EXPECT_TRUE(box.ok());
    return box.ok() ? *box : "";
  }
};

TEST_F(PasswordChangeTest, NewPasswordLogsInAndOldNoLonger) {
  Start();
  v1::ChangePasswordResponse resp;
  grpc::Status st = Change("user00007", "pw-user00007", "N3w-Pa55-seven", &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.result(), v1::AUTH_RESULT_OK) << resp.message();
  EXPECT_EQ(Login("user00007", "N3w-Pa55-seven"), v1::AUTH_RESULT_OK);
  EXPECT_EQ(Login("user00007", "pw-user00007"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  // The name forms a login takes work here too.
  EXPECT_EQ(ChangeResult("EXAMPLE\\user00007", "N3w-Pa55-seven", "N3w-Pa55-again"),
            v1::AUTH_RESULT_OK);
  EXPECT_EQ(Login("user00007", "N3w-Pa55-again"), v1::AUTH_RESULT_OK);
}

TEST_F(PasswordChangeTest, WrongOldPasswordOrUnknownUserChangesNothing) {
  Start();
  EXPECT_EQ(ChangeResult("user00003", "pw-user00004", "N3w-Pa55-three"),
            v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(ChangeResult("nobody", "pw-user00003", "N3w-Pa55-three"),
            v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(Login("user00003", "pw-user00003"), v1::AUTH_RESULT_OK);
  EXPECT_EQ(Login("user00003", "N3w-Pa55-three"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
}

TEST_F(PasswordChangeTest, PolicyRefusalsNameTheRule) {
  Start({}, "pwdMinLength: 10\npwdCheckQuality: 2\npwdInHistory: 3\n");
  v1::ChangePasswordResponse resp;
  ASSERT_TRUE(Change("user00002", "pw-user00002", "N3w-P", &resp).ok());
  EXPECT_EQ(resp.result(), v1::AUTH_RESULT_PASSWORD_REJECTED);
  EXPECT_THAT(resp.message(), HasSubstr("minimum length"));
  EXPECT_EQ(resp.message().find("N3w-P"), std::string::npos);
  EXPECT_EQ(Login("user00002", "pw-user00002"), v1::AUTH_RESULT_OK);
  // Back to a password the user had: the history refuses it.
  EXPECT_EQ(ChangeResult("user00002", "pw-user00002", "N3w-Pa55-two"), v1::AUTH_RESULT_OK);
  ASSERT_TRUE(Change("user00002", "N3w-Pa55-two", "pw-user00002", &resp).ok());
  EXPECT_EQ(resp.result(), v1::AUTH_RESULT_PASSWORD_REJECTED);
  EXPECT_THAT(resp.message(), HasSubstr("history"));
  EXPECT_EQ(Login("user00002", "N3w-Pa55-two"), v1::AUTH_RESULT_OK);
}

TEST_F(PasswordChangeTest, MustChangeUserChangesThenLogsIn) {
  Start();
  EXPECT_EQ(Login("mustchange", "pw-mustchange"), v1::AUTH_RESULT_MUST_CHANGE_PASSWORD);
  EXPECT_EQ(ChangeResult("mustchange", "pw-mustchange", "N3w-Pa55-must"), v1::AUTH_RESULT_OK);
  EXPECT_EQ(Login("mustchange", "N3w-Pa55-must"), v1::AUTH_RESULT_OK);
}

TEST_F(PasswordChangeTest, LockedAndExpiredWithoutGrace) {
  Start();
  EXPECT_EQ(ChangeResult("locked", "pw-locked", "N3w-Pa55-lock"),
            v1::AUTH_RESULT_ACCOUNT_LOCKED);
  v1::ChangePasswordResponse resp;
  ASSERT_TRUE(Change("expired", "pw-expired", "N3w-Pa55-exp", &resp).ok());
  EXPECT_EQ(resp.result(), v1::AUTH_RESULT_PASSWORD_EXPIRED);
  EXPECT_THAT(resp.message(), HasSubstr("grace"));
}

TEST_F(PasswordChangeTest, ExpiredUserChangesDuringGraceLogins) {
  Start({}, "pwdGraceAuthNLimit: 2\n");
  EXPECT_EQ(ChangeResult("expired", "pw-expired", "N3w-Pa55-exp"), v1::AUTH_RESULT_OK);
  EXPECT_EQ(Login("expired", "N3w-Pa55-exp"), v1::AUTH_RESULT_OK);
}

TEST_F(PasswordChangeTest, SealedPasswords) {
  Start();
  v1::ChangePasswordRequest req;
  req.set_username("user00005");
  req.set_sealed_old_password(Seal("pw-user00005", "user00005"));
  req.set_sealed_new_password(Seal("N3w-Pa55-five", "user00005"));
  v1::ChangePasswordResponse resp;
  grpc::Status st = Change(req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.result(), v1::AUTH_RESULT_OK);
  EXPECT_EQ(Login("user00005", "N3w-Pa55-five"), v1::AUTH_RESULT_OK);
  // One sealed, one in clear.
  req.clear_sealed_new_password();
  req.set_sealed_old_password(Seal("N3w-Pa55-five", "user00005"));
  req.set_new_password("N3w-Pa55-five-b");
  ASSERT_TRUE(Change(req, &resp).ok());
  EXPECT_EQ(resp.result(), v1::AUTH_RESULT_OK);
  // A box sealed for another username does not open, and says which field.
  req.set_username("user00006");
  req.set_sealed_old_password(Seal("pw-user00005", "user00005"));
  st = Change(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(st), ::testing::ElementsAre("sealed_old_password"));
  // Both forms of one password at once.
  req.set_old_password("pw-user00006");
  st = Change(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(st), ::testing::ElementsAre("old_password"));
}

TEST_F(PasswordChangeTest, EmptyPasswordsNeverLeaveTheCloud) {
  Start();
  v1::ChangePasswordResponse resp;
  grpc::Status st = Change("user00001", "pw-user00001", " ", &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(st), ::testing::ElementsAre("new_password"));
  st = Change("user00001", "", "N3w-Pa55-one", &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(st), ::testing::ElementsAre("old_password"));
  st = Change("", "pw-user00001", "N3w-Pa55-one", &resp);
  EXPECT_THAT(ViolatedFields(st), ::testing::ElementsAre("username"));
  // A password has a budget too (a sealed one, its box).
  st = Change("user00001", "pw-user00001", "N3w-P" + std::string(1020, 'x'), &resp);
  EXPECT_THAT(st.error_message(), HasSubstr("limit of 1024"));
  EXPECT_THAT(ViolatedFields(st), ::testing::ElementsAre("new_password"));
  v1::ChangePasswordRequest req;
  req.set_username("user00001");
  req.set_old_password("pw-user00001");
  req.set_sealed_new_password(std::string(2000, '\x01'));
  EXPECT_THAT(ViolatedFields(Change(req, &resp)), ::testing::ElementsAre("sealed_new_password"));
  EXPECT_EQ(connector_->process().Log().find("kind=19 "), std::string::npos);
  EXPECT_EQ(Login("user00001", "pw-user00001"), v1::AUTH_RESULT_OK);
}

TEST_F(PasswordChangeTest, ThrottleSharedWithAuthenticate) {
  Start({"--auth_failures_per_user", "3", "--auth_failure_window", "1h"});
  EXPECT_EQ(Login("user00008", "wrong"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(ChangeResult("user00008", "wrong", "N3w-Pa55-eight"),
              v1::AUTH_RESULT_INVALID_CREDENTIALS);
  }
  v1::ChangePasswordResponse resp;
  EXPECT_EQ(Change("user00008", "pw-user00008", "N3w-Pa55-eight", &resp).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  v1::AuthenticateResponse auth;
  EXPECT_EQ(Auth("user00008", "pw-user00008", &auth).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// A refused new password is no failed guess: the old one was right.

TEST_F(PasswordChangeTest, PolicyRefusalIsNoFailedLogin) {
  Start({"--auth_failures_per_user", "1", "--auth_failure_window", "1h"},
        "pwdMinLength: 10\npwdCheckQuality: 2\n");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ChangeResult("user00009", "pw-user00009", "N3w-P"),
              v1::AUTH_RESULT_PASSWORD_REJECTED);
  }
  EXPECT_EQ(ChangeResult("user00009", "pw-user00009", "N3w-Pa55-nine"), v1::AUTH_RESULT_OK);
}

TEST_F(PasswordChangeTest, NoPasswordInAnyLog) {
  Start({}, "pwdMinLength: 10\npwdCheckQuality: 2\n");
  ChangeResult("user00004", "pw-user00004", "N3w-Pa55-four");
  ChangeResult("user00004", "wrong-Sup3r-S3cret", "N3w-Pa55-four-b");
  ChangeResult("user00004", "N3w-Pa55-four", "N3w-P");
  ChangeResult("nobody", "Sup3r-S3cret-Log-Canary", "N3w-Pa55-nobody");
  ChangeResult("mustchange", "pw-mustchange", "N3w-Pa55-must");
  v1::ChangePasswordResponse resp;
  Change("user00004", "N3w-Pa55-four", "", &resp);
  for (const std::string& log : {cloud_.process().Log(), connector_->process().Log()}) {
    ASSERT_FALSE(log.empty());
    for (const char* s : {"pw-user00004", "N3w-P", "Sup3r-S3cret", "pw-mustchange"}) {
      EXPECT_EQ(log.find(s), std::string::npos) << s;
    }
  }
}

}  // namespace
}  // namespace dirbridge::testing
