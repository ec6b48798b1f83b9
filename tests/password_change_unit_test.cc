// The pieces of ChangePassword that need no server: how each directory's
// answer is typed, AD's unicodePwd value, and the field a refusal names
// across the tunnel (the dispatcher's part is in auth_unit_test.cc).

#include <ldap.h>

#include "common/call_status.h"
#include "common/field_error.h"
#include "common/grpc_status.h"
#include "connector_svc/ldap/change_outcome.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace dirbridge {
namespace {

using connector::AdPasswordValue;
using connector::PasswordModifyOutcome;
using connector::UnicodePwdOutcome;
using ::testing::HasSubstr;

TEST(PasswordModifyOutcomeTest, PpolicyErrorsNameTheRule) {
  struct Case {
    int pp;
    const char* rule;
  };
  for (const Case& c : {Case{PP_passwordTooShort, "minimum length"},
                        Case{PP_passwordInHistory, "history"},
                        Case{PP_insufficientPasswordQuality, "quality"},
                        Case{PP_passwordTooYoung, "minimum password age"},
                        Case{PP_passwordModNotAllowed, "does not let"}}) {
    auto r = PasswordModifyOutcome(LDAP_CONSTRAINT_VIOLATION, c.pp);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->result, v1::AUTH_RESULT_PASSWORD_REJECTED) << c.pp;
    EXPECT_THAT(r->message, HasSubstr(c.rule));
  }
  EXPECT_EQ(PasswordModifyOutcome(LDAP_SUCCESS, -1)->result, v1::AUTH_RESULT_OK);
  EXPECT_EQ(PasswordModifyOutcome(LDAP_INVALID_CREDENTIALS, -1)->result,
            v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(PasswordModifyOutcome(LDAP_UNWILLING_TO_PERFORM, -1)->result,
            v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(PasswordModifyOutcome(LDAP_CONSTRAINT_VIOLATION, -1)->result,
            v1::AUTH_RESULT_PASSWORD_REJECTED);
  EXPECT_EQ(PasswordModifyOutcome(LDAP_OTHER, -1).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(UnicodePwdOutcomeTest, WindowsAndSambaDiagnostics) {
  // Windows: the Win32 code only.
  auto wrong_old = UnicodePwdOutcome(
      LDAP_CONSTRAINT_VIOLATION,
      "00000056: AtrErr: DSID-03190F80, #1:\n\t0: 00000056: DSID-03190F80, problem 1005 "
      "(CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)\n");
  EXPECT_EQ(wrong_old->result, v1::AUTH_RESULT_INVALID_CREDENTIALS);
  auto policy = UnicodePwdOutcome(
      LDAP_CONSTRAINT_VIOLATION,
      "0000052D: AtrErr: DSID-03191083, #1:\n\t0: 0000052D: DSID-03191083, problem 1005 "
      "(CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)\n");
  EXPECT_EQ(policy->result, v1::AUTH_RESULT_PASSWORD_REJECTED);
  EXPECT_THAT(policy->message, HasSubstr("does not say which"));
  // Samba says which rule.
  auto short_pw = UnicodePwdOutcome(
      LDAP_CONSTRAINT_VIOLATION,
      "0000052D: Constraint violation - check_password_restrictions: the password is too "
      "short. It should be equal or longer than 7 characters!");
  EXPECT_EQ(short_pw->result, v1::AUTH_RESULT_PASSWORD_REJECTED);
  EXPECT_THAT(short_pw->message, HasSubstr("minimum length"));
  EXPECT_THAT(UnicodePwdOutcome(LDAP_CONSTRAINT_VIOLATION,
                                "0000052D: Constraint violation - check_password_restrictions: "
                                "the password was already used (in history)!")
                  ->message,
              HasSubstr("history"));
  EXPECT_THAT(UnicodePwdOutcome(LDAP_CONSTRAINT_VIOLATION,
                                "0000052D: Constraint violation - check_password_restrictions: "
                                "the password does not meet the complexity criteria!")
                  ->message,
              HasSubstr("complexity"));
  EXPECT_EQ(UnicodePwdOutcome(LDAP_CONSTRAINT_VIOLATION,
                              "00000056: Constraint violation - The old password specified "
                              "doesn't match!")
                ->result,
            v1::AUTH_RESULT_INVALID_CREDENTIALS);
  // The account's state, as a bind's data codes say it.
  auto locked = UnicodePwdOutcome(LDAP_INVALID_CREDENTIALS,
                                  "80090308: LdapErr: DSID-0C09042A, comment: "
                                  "AcceptSecurityContext error, data 775, v4563");
  EXPECT_EQ(locked->result, v1::AUTH_RESULT_ACCOUNT_LOCKED);
  EXPECT_EQ(UnicodePwdOutcome(LDAP_UNWILLING_TO_PERFORM, "0000001F: SvcErr: ...").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(UnicodePwdOutcome(LDAP_INSUFFICIENT_ACCESS, "00002098: ...")->result,
            v1::AUTH_RESULT_PASSWORD_REJECTED);
  EXPECT_EQ(UnicodePwdOutcome(LDAP_SUCCESS, "")->result, v1::AUTH_RESULT_OK);
}

TEST(AdPasswordValueTest, QuotedUtf16Le) {
  EXPECT_EQ(*AdPasswordValue("ab"), std::string("\"\0a\0b\0\"\0", 8));
  // é (U+00E9), € (U+20AC), 😀 (U+1F600, a surrogate pair).
  EXPECT_EQ(*AdPasswordValue("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            std::string("\"\0\xe9\0\xac\x20\x3d\xd8\x00\xde\"\0", 12));
  for (const char* bad : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    absl::StatusOr<std::string> v = AdPasswordValue(bad);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(FieldErrorTest, TravelsTheTunnelAndReachesTheRpcEdgeAsBadRequest) {
  absl::Status st = FieldError("page_size", "page_size must be from 0 to 10000, not -1");
  EXPECT_EQ(ErrorField(st), "page_size");
  EXPECT_EQ(ErrorField(absl::InvalidArgumentError("x")), "");
  v1::CallResult result;
  SetCallStatus(st, &result);
  absl::Status back = CallResultStatus(result);
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(back), "page_size");

  grpc::Status g = ToGrpcStatus(back);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(g.error_details()));
  EXPECT_EQ(details.code(), 3);
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::BadRequest bad;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad));
  ASSERT_EQ(bad.field_violations_size(), 1);
  EXPECT_EQ(bad.field_violations(0).field(), "page_size");
  EXPECT_THAT(bad.field_violations(0).description(), HasSubstr("from 0 to 10000"));
  // Any INVALID_ARGUMENT carries one; other codes none.
  EXPECT_FALSE(ToGrpcStatus(absl::InvalidArgumentError("bad")).error_details().empty());
  EXPECT_TRUE(ToGrpcStatus(absl::NotFoundError("gone")).error_details().empty());
}

}  // namespace
}  // namespace dirbridge
