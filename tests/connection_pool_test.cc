// ConnectionPool against a real slapd: what it reports as LDAP health.

#include <atomic>

#include "connector_svc/ldap/connection_pool.h"
#include "gtest/gtest.h"
#include "tests/harness/slapd.h"

namespace dirbridge::connector {
namespace {

using testing::Slapd;

// ListConnectors' ldap_ok comes from here: a server that answers but
// refuses the service account (a changed or expired password, a disabled
// account, a DC that now wants TLS) serves nothing.
TEST(ConnectionPoolTest, ARefusedServiceBindIsUnhealthyAfterAHealthyDial) {
  Slapd slapd;
  ASSERT_TRUE(slapd.Start().ok());
  LdapConfig config;
  config.uris = {slapd.uri()};
  config.tls = LdapTls::kNone;
  config.bind_dn = Slapd::kServiceDn;
  config.bind_password = Slapd::kServicePassword;
  config.base_dn = slapd.options().suffix;
  std::atomic<bool> refuse{false};
  ConnectionPool pool(config.uris, 2, [&](const std::string& uri, const OpContext& ctx) {
    LdapConfig c = config;
    if (refuse) c.bind_password = "not-the-password";
    return LdapConnection::Open(c, uri, ctx);
  });
  OpContext ctx{absl::Now() + absl::Seconds(10)};
  auto nothing = [](LdapConnection&) { return absl::OkStatus(); };
  ASSERT_TRUE(pool.With(ctx, nothing).ok());
  EXPECT_TRUE(pool.healthy());

  refuse = true;
  absl::Status second;
  // The first connection stays in use, so the inner call dials again.
  ASSERT_TRUE(pool.With(ctx, [&](LdapConnection&) {
                    second = pool.With(ctx, nothing);
                    return absl::OkStatus();
                  }).ok());
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition) << second;
  EXPECT_FALSE(pool.healthy());
}

}  // namespace
}  // namespace dirbridge::connector
