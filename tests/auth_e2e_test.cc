// Auth.Authenticate end to end: search-then-bind against a real slapd with
// the password-policy overlay, sealed passwords, throttling, and the
// passwords used appearing in no log.

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/sealed_password.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/auth_fixture.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(AuthTest, RightWrongAndUnknown) {
  Start();
  v1::AuthenticateResponse resp;
  grpc::Status st = Auth("user00007", "pw-user00007", &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.result(), v1::AUTH_RESULT_OK);
  EXPECT_EQ(resp.user().username(), "user00007");
  EXPECT_EQ(resp.user().dn(), slapd_->UserDn(7));
  EXPECT_EQ(Result("user00007", "pw-user00008"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(Result("nobody", "pw-user00007"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  // The name forms people type.
  EXPECT_EQ(Result("user00007@example.com", "pw-user00007"), v1::AUTH_RESULT_OK);
  EXPECT_EQ(Result("EXAMPLE\\user00007", "pw-user00007"), v1::AUTH_RESULT_OK);
  EXPECT_EQ(Result("USER00007", "pw-user00007"), v1::AUTH_RESULT_OK);
}

TEST_F(AuthTest, PasswordPolicyOutcomes) {
  Start();
  EXPECT_EQ(Result("locked", "pw-locked"), v1::AUTH_RESULT_ACCOUNT_LOCKED);
  EXPECT_EQ(Result("mustchange", "pw-mustchange"), v1::AUTH_RESULT_MUST_CHANGE_PASSWORD);
  EXPECT_EQ(Result("expired", "pw-expired"), v1::AUTH_RESULT_PASSWORD_EXPIRED);
  // A wrong password says nothing about the account's state.
  EXPECT_EQ(Result("expired", "wrong"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  v1::AuthenticateResponse resp;
  ASSERT_TRUE(Auth("mustchange", "pw-mustchange", &resp).ok());
  EXPECT_FALSE(resp.has_user());  // a user only with OK
}

TEST_F(AuthTest, EmptyPasswordNeverReachesLdapEvenWhereTheServerWouldAcceptIt) {
  SlapdOptions opts;
  opts.extra_global_config = "allow bind_anon_dn";
  Start({}, opts);
  // The server itself takes a DN with an empty password (unauthenticated bind).
  int code = -1;
  absl::StatusOr<std::string> out = RunCommand(
      {"ldapwhoami", "-x", "-H", slapd_->uri(), "-D", slapd_->UserDn(1), "-w", ""}, &code);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(code, 0) << "the server should have accepted the empty bind: " << *out;

  for (const std::string& pw : {std::string(""), std::string(" "), std::string("\t \n")}) {
    v1::AuthenticateResponse resp;
    grpc::Status st = Auth("user00001", pw, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(resp.result(), v1::AUTH_RESULT_OK);
  }
  EXPECT_EQ(AuthCallsSeenByConnector(), 0);
  // Sealed, the cloud cannot see it is empty: the connector refuses it.
  absl::StatusOr<v1::Connector> c = cloud_.GetConnector(tenant_.token, connector_->connector_id());
  ASSERT_TRUE(c.ok());
  auto box = crypto::Seal(c->password_public_key(), " ",
                          SealedPasswordAad(tenant_.tenant_id, "user00001"), kSealedPasswordInfo);
  ASSERT_TRUE(box.ok());
  v1::AuthenticateResponse resp;
  grpc::Status st = Auth("user00001", "", &resp, *box);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuthTest, InjectionCorpusAuthenticatesNobody) {
  Start();
  std::vector<std::string> names = {
      "*", ")(uid=*", "admin)(|(uid=*)", "admin*", "\\", std::string("user00001\0", 10),
      std::string(10000, 'u'), "user0000*", "*)(uid=user00001", "user00001)(|(objectClass=*)",
      "\xff\xfe"};
  std::vector<std::string> passwords = {"pw-user00001", "()*\\", "*", "pw-user00001)(|(a=*"};
  for (const std::string& name : names) {
    for (const std::string& pw : passwords) {
      v1::AuthenticateResponse resp;
      grpc::Status st = Auth(name, pw, &resp);
      EXPECT_NE(resp.result(), v1::AUTH_RESULT_OK) << name.substr(0, 40) << " / " << pw;
      if (st.ok()) {
        EXPECT_EQ(resp.result(), v1::AUTH_RESULT_INVALID_CREDENTIALS);
      }
    }
  }
  // And the real user still gets in with the real password only.
  EXPECT_EQ(Result("user00001", "pw-user00001"), v1::AUTH_RESULT_OK);
  EXPECT_EQ(Result("user00001", "()*\\"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
}

TEST_F(AuthTest, SealedPasswordRoundTripAndReplay) {
  Start();
  absl::StatusOr<v1::Connector> c = cloud_.GetConnector(tenant_.token, connector_->connector_id());
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->password_public_key().size(), 32u);
  auto box = crypto::Seal(c->password_public_key(), "pw-user00003",
                          SealedPasswordAad(tenant_.tenant_id, "user00003"), kSealedPasswordInfo);
  ASSERT_TRUE(box.ok());
  v1::AuthenticateResponse resp;
  grpc::Status st = Auth("user00003", "", &resp, *box);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.result(), v1::AUTH_RESULT_OK);
  // The same box replayed for another username does not open.
  st = Auth("user00004", "", &resp, *box);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Nor with a password beside it, nor mangled, nor sealed to another key.
  EXPECT_EQ(Auth("user00003", "pw-user00003", &resp, *box).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  std::string bad = *box;
  bad.back() ^= 1;
  EXPECT_EQ(Auth("user00003", "", &resp, bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto other = crypto::GenerateX25519();
  auto elsewhere = crypto::Seal(other->public_key, "pw-user00003",
                                SealedPasswordAad(tenant_.tenant_id, "user00003"),
                                kSealedPasswordInfo);
  EXPECT_EQ(Auth("user00003", "", &resp, *elsewhere).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Auth("user00003", "", &resp, "garbage").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuthTest, ThrottleStopsFailuresBeforeLdap) {
  Start({"--auth_failures_per_user", "3", "--auth_failure_window", "1h"});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Result("user00005", "wrong"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  }
  int seen = AuthCallsSeenByConnector();
  EXPECT_EQ(seen, 3);
  v1::AuthenticateResponse resp;
  grpc::Status st = Auth("user00005", "wrong", &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Even the right password waits: the bucket counts attempts, not guesses.
  st = Auth("User00005", "pw-user00005", &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(AuthCallsSeenByConnector(), seen);
  // Other users are not held back by one user's failures.
  EXPECT_EQ(Result("user00006", "pw-user00006"), v1::AUTH_RESULT_OK);
}

TEST_F(AuthTest, NoPasswordInAnyLog) {
  Start();
  const std::vector<std::string> secrets = {"pw-user00009", "Sup3r-S3cret-Log-Canary",
                                            "pw-locked", Slapd::kServicePassword};
  Result("user00009", "pw-user00009");
  Result("user00009", "Sup3r-S3cret-Log-Canary");
  Result("locked", "pw-locked");
  Result("nobody", "Sup3r-S3cret-Log-Canary");
  v1::AuthenticateResponse resp;
  Auth("", "Sup3r-S3cret-Log-Canary", &resp);
  for (const std::string& log : {cloud_.process().Log(), connector_->process().Log()}) {
    ASSERT_FALSE(log.empty());
    for (const std::string& s : secrets) EXPECT_EQ(log.find(s), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace dirbridge::testing
