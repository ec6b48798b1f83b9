#include "cloud_svc/store/sqlite_store.h"

#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dirbridge::cloud {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dirbridge-store-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/cloud.db";
    auto s = SqliteStore::Open(path_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    ASSERT_TRUE(store_->CreateTenant({"t1", "acme", absl::Now()}, "hash-t1").ok());
    ASSERT_TRUE(store_->CreateTenant({"t2", "globex", absl::Now()}, "hash-t2").ok());
    ASSERT_TRUE(store_->CreateConnector(Connector("t1", "c1")).ok());
  }

  static ConnectorRecord Connector(std::string tenant, std::string id) {
    ConnectorRecord c;
    c.tenant_id = std::move(tenant);
    c.connector_id = std::move(id);
    c.name = "dc";
    c.created_at = absl::Now();
    return c;
  }

  std::string dir_, path_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(StoreTest, TenantsByTokenHash) {
  auto t = store_->TenantByTokenHash("hash-t1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->tenant_id, "t1");
  EXPECT_TRUE(absl::IsNotFound(store_->TenantByTokenHash("nope").status()));
  // A token hash is unique: a second tenant cannot share it.
  EXPECT_FALSE(store_->CreateTenant({"t3", "x", absl::Now()}, "hash-t1").ok());
}

TEST_F(StoreTest, ConnectorsAreScopedByTenant) {
  EXPECT_TRUE(store_->GetConnector("t1", "c1").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetConnector("t2", "c1").status()));
  EXPECT_TRUE(store_->ListConnectors("t2")->empty());
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteConnector("t2", "c1")));
  EXPECT_TRUE(absl::IsNotFound(
      store_->SetRegistrationKey("t2", "c1", "k", absl::Now() + absl::Hours(1))));
}

TEST_F(StoreTest, RegistrationKeyIsSingleUseAndReplaceable) {
  absl::Time later = absl::Now() + absl::Hours(1);
  ASSERT_TRUE(store_->SetRegistrationKey("t1", "c1", "k1", later).ok());
  ASSERT_TRUE(store_->SetRegistrationKey("t1", "c1", "k2", later).ok());
  EXPECT_EQ(store_->RedeemRegistrationKey("k1", absl::Now(), "cred").status().code(),
            absl::StatusCode::kPermissionDenied);
  auto c = store_->RedeemRegistrationKey("k2", absl::Now(), "cred");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->connector_id, "c1");
  EXPECT_EQ(store_->RedeemRegistrationKey("k2", absl::Now(), "cred2").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->ConnectorByCredentialHash("cred")->connector_id, "c1");
}

TEST_F(StoreTest, ExpiredKeyIsRefusedAndUsedUp) {
  absl::Time expiry = absl::Now() + absl::Minutes(1);
  ASSERT_TRUE(store_->SetRegistrationKey("t1", "c1", "k", expiry).ok());
  EXPECT_EQ(store_->RedeemRegistrationKey("k", expiry + absl::Seconds(1), "cred").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->RedeemRegistrationKey("k", absl::Now(), "cred").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(StoreTest, DeletedConnectorLosesCredentialAndKey) {
  ASSERT_TRUE(store_->SetRegistrationKey("t1", "c1", "k", absl::Now() + absl::Hours(1)).ok());
  ASSERT_TRUE(store_->RedeemRegistrationKey("k", absl::Now(), "cred").ok());
  ASSERT_TRUE(store_->SetRegistrationKey("t1", "c1", "k2", absl::Now() + absl::Hours(1)).ok());
  ASSERT_TRUE(store_->DeleteConnector("t1", "c1").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->ConnectorByCredentialHash("cred").status()));
  EXPECT_EQ(store_->RedeemRegistrationKey("k2", absl::Now(), "x").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::IsNotFound(store_->GetConnector("t1", "c1").status()));
  EXPECT_TRUE(store_->ListConnectors("t1")->empty());
}

TEST_F(StoreTest, AlertsDoNotPileUpAndClear) {
  AlertRecord a;
  a.alert_id = "a1";
  a.tenant_id = "t1";
  a.kind = AlertKind::kConnectorNotConnected;
  a.connector_id = "c1";
  a.raised_at = absl::Now();
  a.message = "down";
  ASSERT_TRUE(store_->RaiseAlert(a).ok());
  a.alert_id = "a2";
  ASSERT_TRUE(store_->RaiseAlert(a).ok());  // same standing alert: no second one
  EXPECT_EQ(store_->ListAlerts("t1", true)->size(), 1u);
  EXPECT_TRUE(store_->ListAlerts("t2", false)->empty());
  ASSERT_TRUE(store_->ClearAlerts("t2", a.kind, "c1", "", absl::Now()).ok());
  EXPECT_EQ(store_->ListAlerts("t1", true)->size(), 1u);  // other tenant cannot clear
  ASSERT_TRUE(store_->ClearAlerts("t1", a.kind, "c1", "", absl::Now()).ok());
  EXPECT_TRUE(store_->ListAlerts("t1", true)->empty());
  auto all = store_->ListAlerts("t1", false);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].cleared_at.has_value());
}

TEST_F(StoreTest, SurvivesReopenAndRefusesANewerSchema) {
  store_.reset();
  auto again = SqliteStore::Open(path_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->GetConnector("t1", "c1").ok());
  again->reset();
  auto db = SqliteDb::Open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 999").ok());
  db->reset();
  auto newer = SqliteStore::Open(path_);
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(newer.status().message()), ::testing::HasSubstr("newer"));
}

}  // namespace
}  // namespace dirbridge::cloud
