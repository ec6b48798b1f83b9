// Auth.ChangePassword end to end against the Samba AD DC: the user's own
// change (the unicodePwd delete-old/add-new modify over ldaps), for users
// who may log in and for those AD lets do nothing but change it.

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/ad_fixture.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

class AdPasswordTest : public AdTest {
 protected:
  v1::ChangePasswordResponse Change(const std::string& user, const std::string& old_password,
                                    const std::string& new_password) {
    v1::ChangePasswordRequest req;
    req.set_username(user);
    req.set_old_password(old_password);
    req.set_new_password(new_password);
    v1::ChangePasswordResponse resp;
    grpc::Status st = auth_->ChangePassword(Ctx(tenant_.token).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << user << ": " << st.error_message();
    return resp;
  }

  static std::string Next(const std::string& name) { return "AdPw-" + name + "-2"; }
};

TEST_F(AdPasswordTest, OwnChangeTakesTheNewPasswordAndDropsTheOld) {
  Start();
  std::string name = Fresh("chg");
  AddPasswordUser(name);
  // A wrong old password changes nothing.
  EXPECT_EQ(Change(name, "AdPw-wrong-1", Next(name)).result(),
            v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(Login(name, SambaDc::Password(name)), v1::AUTH_RESULT_OK);

  v1::ChangePasswordResponse r = Change(name, SambaDc::Password(name), Next(name));
  EXPECT_EQ(r.result(), v1::AUTH_RESULT_OK) << r.message();
  EXPECT_EQ(Login(name, Next(name)), v1::AUTH_RESULT_OK);
  // The old password is not checked here: Samba, like Windows for NTLM,
  // still takes it for "old password allowed period" (60 min).
  // By every name form, as a login.
  r = Change(absl::StrCat(SambaDc::kDomain, "\\", name), Next(name), "AdPw-" + name + "-3");
  EXPECT_EQ(r.result(), v1::AUTH_RESULT_OK) << r.message();
  EXPECT_EQ(Login(name, "AdPw-" + name + "-3"), v1::AUTH_RESULT_OK);
}

// AD refuses these users' binds (data 773, 532) with the right password:
// the change is the only thing they may do.
TEST_F(AdPasswordTest, UserWhoMustChangeCanChange) {
  Start();
  std::string name = Fresh("must");
  AddPasswordUser(name, "pwdLastSet: 0\n");
  ASSERT_EQ(Login(name, SambaDc::Password(name)), v1::AUTH_RESULT_MUST_CHANGE_PASSWORD);
  EXPECT_EQ(Change(name, "AdPw-wrong-1", Next(name)).result(),
            v1::AUTH_RESULT_INVALID_CREDENTIALS);
  v1::ChangePasswordResponse r = Change(name, SambaDc::Password(name), Next(name));
  EXPECT_EQ(r.result(), v1::AUTH_RESULT_OK) << r.message();
  EXPECT_EQ(Login(name, Next(name)), v1::AUTH_RESULT_OK);
}

TEST_F(AdPasswordTest, UserWhosePasswordExpiredCanChange) {
  Start();
  // agedpw's password is from 2000 (tests/harness/samba_dc.h): one change
  // per DC, which this test makes.
  ASSERT_EQ(Login("agedpw", SambaDc::Password("agedpw")), v1::AUTH_RESULT_PASSWORD_EXPIRED);
  v1::ChangePasswordResponse r = Change("agedpw", SambaDc::Password("agedpw"), Next("agedpw"));
  EXPECT_EQ(r.result(), v1::AUTH_RESULT_OK) << r.message();
  EXPECT_EQ(Login("agedpw", Next("agedpw")), v1::AUTH_RESULT_OK);
}

TEST_F(AdPasswordTest, PolicyRefusalIsPasswordRejectedNamingTheRule) {
  Start();
  std::string name = Fresh("pol");
  AddPasswordUser(name);
  const std::string old = SambaDc::Password(name);
  v1::ChangePasswordResponse r = Change(name, old, "Ab-1");
  EXPECT_EQ(r.result(), v1::AUTH_RESULT_PASSWORD_REJECTED);
  EXPECT_THAT(r.message(), HasSubstr("minimum length"));
  r = Change(name, old, "alllowercaseletters");
  EXPECT_EQ(r.result(), v1::AUTH_RESULT_PASSWORD_REJECTED);
  EXPECT_THAT(r.message(), HasSubstr("complexity"));
  // The domain keeps a history: the current password cannot come again.
  r = Change(name, old, old);
  EXPECT_EQ(r.result(), v1::AUTH_RESULT_PASSWORD_REJECTED);
  EXPECT_THAT(r.message(), HasSubstr("history"));
  EXPECT_THAT(r.message(), ::testing::Not(HasSubstr(old)));
  // Nothing changed.
  EXPECT_EQ(Login(name, old), v1::AUTH_RESULT_OK);
}

TEST_F(AdPasswordTest, DisabledAndExpiredAccountsCannotChange) {
  Start();
  EXPECT_EQ(Change("disabled", SambaDc::Password("disabled"), Next("disabled")).result(),
            v1::AUTH_RESULT_ACCOUNT_DISABLED);
  EXPECT_EQ(Change("expired", SambaDc::Password("expired"), Next("expired")).result(),
            v1::AUTH_RESULT_ACCOUNT_EXPIRED);
  EXPECT_EQ(Change("nosuchuser", "AdPw-wrong-1", Next("x")).result(),
            v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(Login("disabled", SambaDc::Password("disabled")), v1::AUTH_RESULT_ACCOUNT_DISABLED);
}

}  // namespace
}  // namespace dirbridge::testing
