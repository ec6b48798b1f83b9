// What only SqliteStore promises: a file that survives a reopen and a
// schema that moves forward only. (Store semantics: the conformance suite.)

#include "cloud_svc/store/sqlite_store.h"

#include <stdlib.h>

#include <filesystem>

#include "cloud_svc/store/sqlite_schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dirbridge::cloud {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "dirbridge-sqlite-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/cloud.db";
    auto s = SqliteStore::Open(path_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    ASSERT_TRUE(store_->CreateTenant({"t1", "acme", absl::Now()}, "hash-t1").ok());
    ConnectorRecord c;
    c.tenant_id = "t1";
    c.connector_id = "c1";
    c.name = "dc";
    c.created_at = absl::Now();
    ASSERT_TRUE(store_->CreateConnector(c).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs SQL on the file behind the store's back (the store must be closed).
  void Exec(const std::string& sql) {
    auto db = SqliteDb::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
  }

  std::string dir_, path_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, SurvivesAReopen) {
  ASSERT_TRUE(store_->AppendAudit({"t1", absl::Now(), "admin", "connector.create", "c1", ""}).ok());
  store_.reset();
  auto again = SqliteStore::Open(path_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE((*again)->GetConnector("t1", "c1").ok());
  EXPECT_EQ((*again)->ListAudit("t1", 10)->size(), 1u);
}

TEST_F(SqliteStoreTest, RefusesANewerSchema) {
  store_.reset();
  Exec("PRAGMA user_version = 999");
  auto newer = SqliteStore::Open(path_);
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(newer.status().message()), ::testing::HasSubstr("newer"));
}

// What migration 7 adds, taken away again: the file as schema 6 left it.
constexpr char kUndoSchema7[] = "DROP TABLE sessions; DROP TABLE replicas; ";
// And migration 6: the file as schema 5 left it.
constexpr char kUndoSchema6[] =
    "DROP TABLE sessions; DROP TABLE replicas; "
    "DROP TABLE device_counts; DROP INDEX mappings_by_tenant; "
    "DROP INDEX deployment_tokens_by_tenant; ";

TEST_F(SqliteStoreTest, AFileOfAnOlderReleaseGainsTheAuditLog) {
  ASSERT_EQ(StoreSchemaVersion(), 7);
  store_.reset();
  // Schema 4 is the last one without the audit log.
  Exec(std::string(kUndoSchema6) + "DROP TABLE audit; PRAGMA user_version = 4");
  auto upgraded = SqliteStore::Open(path_);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status();
  EXPECT_TRUE((*upgraded)->GetConnector("t1", "c1").ok());  // nothing lost
  ASSERT_TRUE((*upgraded)->AppendAudit({"t1", absl::Now(), "admin", "x", "c1", ""}).ok());
  EXPECT_EQ((*upgraded)->ListAudit("t1", 10)->size(), 1u);
}

TEST_F(SqliteStoreTest, AFileOfTheLastReleaseCountsTheDevicesItHas) {
  MappingRecord given;
  given.tenant_id = "t1";
  given.mapping_id = "m1";
  given.name = "all";
  given.base_dn = "dc=x";
  absl::StatusOr<MappingRecord> m = store_->CreateMapping(given);
  ASSERT_TRUE(m.ok()) << m.status();
  UserRecord u;
  u.tenant_id = "t1";
  u.directory_id = "d1";
  for (const char* device : {"laptop", "phone"}) {
    ASSERT_TRUE(store_->Activate(*m, u, device, absl::Now()).ok());
  }
  store_.reset();
  // Schema 5 kept no device counts: the upgrade counts what is there.
  Exec(std::string(kUndoSchema6) + "PRAGMA user_version = 5");
  auto upgraded = SqliteStore::Open(path_);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status();
  EXPECT_EQ(*(*upgraded)->CountDevices("t1"), 2u);
  ASSERT_TRUE((*upgraded)->Activate(*m, u, "tablet", absl::Now()).ok());
  EXPECT_EQ(*(*upgraded)->CountDevices("t1"), 3u);
}

TEST_F(SqliteStoreTest, AFileOfAnOlderReleaseGainsPresence) {
  store_.reset();
  Exec(std::string(kUndoSchema7) + "PRAGMA user_version = 6");
  auto upgraded = SqliteStore::Open(path_);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status();
  EXPECT_TRUE((*upgraded)->GetConnector("t1", "c1").ok());  // nothing lost
  ASSERT_TRUE((*upgraded)->Heartbeat("r1", "127.0.0.1:1", absl::Now()).ok());
  ASSERT_TRUE((*upgraded)->PutSession({"r1", "t1", "c1", absl::Now()}).ok());
  EXPECT_EQ((*upgraded)->TenantSessions("t1", absl::InfinitePast())->size(), 1u);
}

}  // namespace
}  // namespace dirbridge::cloud
