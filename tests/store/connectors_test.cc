#include <atomic>

#include "absl/strings/str_cat.h"
#include "tests/store/store_conformance.h"

namespace dirbridge::cloud {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

auto Id(absl::string_view id) { return Field(&ConnectorRecord::connector_id, std::string(id)); }

TEST_P(ConnectorStoreTest, CreatesGetsAndListsOldestFirst) {
  ConnectorRecord c1 = Connector(kT1, "c1", T(5));
  c1.version = "ignored";  // only the ids, name and created_at are stored
  c1.ldap_ok = true;
  ASSERT_TRUE(store().CreateConnector(c1).ok());
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "cb", T(1))).ok());
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "ca", T(1))).ok());
  ASSERT_TRUE(store().CreateConnector(Connector(kT2, "c9", T(0))).ok());

  absl::StatusOr<ConnectorRecord> got = store().GetConnector(kT1, "c1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, Connector(kT1, "c1", T(5)));  // never connected: the rest is empty
  EXPECT_FALSE(got->last_seen.has_value());

  EXPECT_THAT(VALUE_OF(store().ListConnectors(kT1)), ElementsAre(Id("ca"), Id("cb"), Id("c1")));
  EXPECT_THAT(VALUE_OF(store().ListConnectors(kT2)), ElementsAre(Id("c9")));
  EXPECT_TRUE(VALUE_OF(store().ListConnectors("t-unknown")).empty());
}

TEST_P(ConnectorStoreTest, AnIdIsTakenForGoodAndNeedsAKnownTenant) {
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "c1")).ok());
  EXPECT_CODE(store().CreateConnector(Connector(kT1, "c1")), kAlreadyExists);
  EXPECT_CODE(store().CreateConnector(Connector(kT2, "c1")), kAlreadyExists);
  EXPECT_EQ(VALUE_OF(store().GetConnector(kT1, "c1")).tenant_id, kT1);
  ASSERT_TRUE(store().DeleteConnector(kT1, "c1").ok());
  EXPECT_CODE(store().CreateConnector(Connector(kT1, "c1")), kAlreadyExists);
  EXPECT_CODE(store().GetConnector(kT1, "c1"), kNotFound);  // not revived

  EXPECT_CODE(store().CreateConnector(Connector("t-unknown", "c2")), kFailedPrecondition);
  EXPECT_CODE(store().GetConnector("t-unknown", "c2"), kNotFound);
}

TEST_P(ConnectorStoreTest, AnotherTenantsConnectorIsNotFoundEverywhere) {
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "c1")).ok());
  const ConnectorRecord before = VALUE_OF(store().GetConnector(kT1, "c1"));
  ConnectorRecord hello = before;
  hello.tenant_id = kT2;
  hello.last_seen = T(9);
  hello.version = "9.9";

  EXPECT_CODE(store().GetConnector(kT2, "c1"), kNotFound);
  EXPECT_TRUE(VALUE_OF(store().ListConnectors(kT2)).empty());
  EXPECT_CODE(store().DeleteConnector(kT2, "c1"), kNotFound);
  EXPECT_CODE(store().SetRegistrationKey(kT2, "c1", "k", T(60)), kNotFound);
  EXPECT_CODE(store().RecordConnection(hello), kNotFound);
  EXPECT_CODE(store().TouchConnector(kT2, "c1", T(9), true), kNotFound);

  EXPECT_EQ(VALUE_OF(store().GetConnector(kT1, "c1")), before);  // untouched by any of it
  EXPECT_CODE(store().RedeemRegistrationKey("k", T(0), "cred"), kPermissionDenied);
}

TEST_P(ConnectorStoreTest, AnUnknownConnectorIsNotFound) {
  ConnectorRecord ghost = Connector(kT1, "ghost");
  EXPECT_CODE(store().GetConnector(kT1, "ghost"), kNotFound);
  EXPECT_CODE(store().DeleteConnector(kT1, "ghost"), kNotFound);
  EXPECT_CODE(store().SetRegistrationKey(kT1, "ghost", "k", T(60)), kNotFound);
  EXPECT_CODE(store().RecordConnection(ghost), kNotFound);
  EXPECT_CODE(store().TouchConnector(kT1, "ghost", T(1), true), kNotFound);
  EXPECT_CODE(store().ConnectorByCredentialHash("cred"), kNotFound);
}

TEST_P(ConnectorStoreTest, ARegistrationKeyIsSingleUseAndReplaceable) {
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "c1")).ok());
  ASSERT_TRUE(store().SetRegistrationKey(kT1, "c1", "k1", T(60)).ok());
  ASSERT_TRUE(store().SetRegistrationKey(kT1, "c1", "k2", T(60)).ok());  // revokes k1
  EXPECT_CODE(store().RedeemRegistrationKey("k1", T(1), "cred"), kPermissionDenied);
  absl::StatusOr<ConnectorRecord> c = store().RedeemRegistrationKey("k2", T(1), "cred");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, VALUE_OF(store().GetConnector(kT1, "c1")));
  EXPECT_CODE(store().RedeemRegistrationKey("k2", T(1), "cred2"), kPermissionDenied);
  EXPECT_EQ(VALUE_OF(store().ConnectorByCredentialHash("cred")).connector_id, "c1");
  EXPECT_CODE(store().ConnectorByCredentialHash("cred2"), kNotFound);
  EXPECT_CODE(store().RedeemRegistrationKey("never-issued", T(1), "cred3"), kPermissionDenied);
}

TEST_P(ConnectorStoreTest, ANewCredentialReplacesTheOldOne) {
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "c1")).ok());
  ASSERT_TRUE(store().SetRegistrationKey(kT1, "c1", "k1", T(60)).ok());
  ASSERT_TRUE(store().RedeemRegistrationKey("k1", T(1), "cred1").ok());
  ASSERT_TRUE(store().SetRegistrationKey(kT1, "c1", "k2", T(60)).ok());
  EXPECT_EQ(VALUE_OF(store().ConnectorByCredentialHash("cred1")).connector_id, "c1");  // until redeemed
  ASSERT_TRUE(store().RedeemRegistrationKey("k2", T(2), "cred2").ok());
  EXPECT_CODE(store().ConnectorByCredentialHash("cred1"), kNotFound);
  EXPECT_EQ(VALUE_OF(store().ConnectorByCredentialHash("cred2")).connector_id, "c1");
}

TEST_P(ConnectorStoreTest, AnExpiredKeyIsRefusedAndUsedUp) {
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "c1")).ok());
  ASSERT_TRUE(store().SetRegistrationKey(kT1, "c1", "k", T(60)).ok());
  EXPECT_CODE(store().RedeemRegistrationKey("k", T(60), "cred"), kPermissionDenied);  // at expiry
  EXPECT_CODE(store().RedeemRegistrationKey("k", T(1), "cred"), kPermissionDenied);   // used up
  EXPECT_CODE(store().ConnectorByCredentialHash("cred"), kNotFound);
  ASSERT_TRUE(store().SetRegistrationKey(kT1, "c1", "k", T(60)).ok());
  EXPECT_TRUE(store().RedeemRegistrationKey("k", T(59), "cred").ok());  // just before expiry
}

TEST_P(ConnectorStoreTest, ConcurrentRedeemsOfOneKeySucceedOnce) {
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "c1")).ok());
  ASSERT_TRUE(store().SetRegistrationKey(kT1, "c1", "k", T(60)).ok());
  constexpr int kThreads = 8;
  std::atomic<int> won{0}, refused{0};
  std::vector<std::string> winner(kThreads);
  RunConcurrently(kThreads, [&](int i) {
    absl::StatusOr<ConnectorRecord> c =
        store().RedeemRegistrationKey("k", T(1), absl::StrCat("cred-", i));
    if (c.ok()) {
      ++won;
      winner[i] = c->connector_id;
    } else if (absl::IsPermissionDenied(c.status())) {
      ++refused;
    }
  });
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), kThreads - 1);
  int credentials = 0;
  for (int i = 0; i < kThreads; ++i) {
    absl::StatusOr<ConnectorRecord> c = store().ConnectorByCredentialHash(absl::StrCat("cred-", i));
    if (c.ok()) {
      ++credentials;
      EXPECT_EQ(winner[i], "c1");  // the credential installed is the winner's
    }
  }
  EXPECT_EQ(credentials, 1);
}

TEST_P(ConnectorStoreTest, ADeletedConnectorLosesItsCredentialAndKey) {
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "c1")).ok());
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "c2")).ok());
  ASSERT_TRUE(store().SetRegistrationKey(kT1, "c1", "k", T(60)).ok());
  ASSERT_TRUE(store().RedeemRegistrationKey("k", T(1), "cred").ok());
  ASSERT_TRUE(store().SetRegistrationKey(kT1, "c1", "k2", T(60)).ok());
  ASSERT_TRUE(store().DeleteConnector(kT1, "c1").ok());

  EXPECT_CODE(store().ConnectorByCredentialHash("cred"), kNotFound);
  EXPECT_CODE(store().RedeemRegistrationKey("k2", T(1), "x"), kPermissionDenied);
  EXPECT_CODE(store().GetConnector(kT1, "c1"), kNotFound);
  EXPECT_THAT(VALUE_OF(store().ListConnectors(kT1)), ElementsAre(Id("c2")));
  EXPECT_CODE(store().DeleteConnector(kT1, "c1"), kNotFound);
  EXPECT_CODE(store().SetRegistrationKey(kT1, "c1", "k3", T(60)), kNotFound);
  EXPECT_CODE(store().TouchConnector(kT1, "c1", T(2), true), kNotFound);
  EXPECT_CODE(store().RecordConnection(Connector(kT1, "c1")), kNotFound);
  EXPECT_TRUE(store().GetConnector(kT1, "c2").ok());  // its neighbour is untouched
}

TEST_P(ConnectorStoreTest, RecordConnectionAndTouchKeepWhatTheConnectorSaid) {
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "c1")).ok());
  ConnectorRecord hello = Connector(kT1, "c1");
  hello.name = "renamed?";  // not part of a connection
  hello.last_seen = T(7);
  hello.version = "1.4.2";
  hello.hostname = "dc01.corp";
  hello.ldap_ok = true;
  hello.password_public_key = std::string("\x00\x01\xfe\xff key", 8);
  hello.protocol_revision = 3;
  ASSERT_TRUE(store().RecordConnection(hello).ok());

  ConnectorRecord want = hello;
  want.name = Connector(kT1, "c1").name;
  EXPECT_EQ(VALUE_OF(store().GetConnector(kT1, "c1")), want);

  ASSERT_TRUE(store().TouchConnector(kT1, "c1", T(8), false).ok());
  want.last_seen = T(8);
  want.ldap_ok = false;
  EXPECT_EQ(VALUE_OF(store().GetConnector(kT1, "c1")), want);
  EXPECT_EQ(VALUE_OF(store().ListConnectors(kT1)).at(0), want);
}

TEST_P(ConnectorStoreTest, AConnectionWithoutATimeIsSeenNow) {
  ASSERT_TRUE(store().CreateConnector(Connector(kT1, "c1")).ok());
  absl::Time before = absl::Now() - absl::Microseconds(1);  // stores may keep only microseconds
  ASSERT_TRUE(store().RecordConnection(Connector(kT1, "c1")).ok());
  absl::Time after = absl::Now();
  std::optional<absl::Time> seen = VALUE_OF(store().GetConnector(kT1, "c1")).last_seen;
  ASSERT_TRUE(seen.has_value());
  EXPECT_GE(*seen, before);
  EXPECT_LE(*seen, after);
}

}  // namespace
}  // namespace dirbridge::cloud
