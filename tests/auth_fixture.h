// The fixture of the Auth end-to-end tests (auth_e2e_test.cc,
// password_change_e2e_test.cc): slapd with the password-policy overlay,
// cloud_svc and a connector.
#ifndef DIRBRIDGE_TESTS_AUTH_FIXTURE_H_
#define DIRBRIDGE_TESTS_AUTH_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "dirbridge/v1/auth.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {

class AuthTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> cloud_flags = {}, SlapdOptions opts = {}) {
    opts.users = 20;
    opts.ppolicy = true;
    CloudSvc::Options co;
    co.extra_flags = std::move(cloud_flags);
    absl::Status st = stack_.Start(opts, co);
    ASSERT_TRUE(st.ok()) << st;
    st = stack_.RunConnector();
    ASSERT_TRUE(st.ok()) << st;
    auth_ = v1::Auth::NewStub(cloud_.channel());
  }

  grpc::Status Auth(const std::string& user, const std::string& password,
                    v1::AuthenticateResponse* out, const std::string& sealed = "") {
    v1::AuthenticateRequest req;
    req.set_username(user);
    req.set_password(password);
    req.set_sealed_password(sealed);
    return auth_->Authenticate(Ctx(tenant_.token).get(), req, out);
  }

  v1::AuthResult Result(const std::string& user, const std::string& password) {
    v1::AuthenticateResponse resp;
    grpc::Status st = Auth(user, password, &resp);
    EXPECT_TRUE(st.ok()) << user << ": " << st.error_message();
    return resp.result();
  }

  int AuthCallsSeenByConnector() {
    std::string log = connector_->process().Log();
    int n = 0;
    // kind 16 is CallRequest.authenticate.
    for (size_t at = 0; (at = log.find("kind=16 ", at)) != std::string::npos; ++at) ++n;
    return n;
  }

  Stack stack_;
  std::unique_ptr<Slapd>& slapd_ = stack_.slapd;
  CloudSvc& cloud_ = stack_.cloud;
  Tenant& tenant_ = stack_.tenant;
  std::unique_ptr<ConnectorSvc>& connector_ = stack_.connector;
  std::unique_ptr<v1::Auth::Stub> auth_;
};

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_AUTH_FIXTURE_H_
