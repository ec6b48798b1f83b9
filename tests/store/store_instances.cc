// The implementations the conformance suite runs on. A new Store is one
// more StoreFactory here. PostgreSQL is a real server (tests/harness/
// postgres.h), one per test binary, with a fresh database per test.

#include "cloud_svc/store/memory_store.h"
#include "cloud_svc/store/postgres/postgres_store.h"
#include "cloud_svc/store/sqlite_store.h"
#include "tests/harness/postgres.h"
#include "tests/store/store_conformance.h"

namespace dirbridge::cloud {

std::vector<StoreFactory> StoresUnderTest() {
  return {
      {"Sqlite",
       [](const std::string& dir) -> absl::StatusOr<std::unique_ptr<Store>> {
         absl::StatusOr<std::unique_ptr<SqliteStore>> s = SqliteStore::Open(dir + "/cloud.db");
         if (!s.ok()) return s.status();
         return std::unique_ptr<Store>(std::move(*s));
       }},
      {"Postgres",
       [](const std::string&) -> absl::StatusOr<std::unique_ptr<Store>> {
         absl::StatusOr<testing::Postgres*> pg = testing::Postgres::Shared();
         if (!pg.ok()) return pg.status();
         absl::StatusOr<std::string> db = (*pg)->NewDatabase();
         if (!db.ok()) return db.status();
         PostgresOptions options;
         options.uri = (*pg)->uri(*db);
         options.password = (*pg)->password();
         absl::StatusOr<std::unique_ptr<PostgresStore>> s = PostgresStore::Open(options);
         if (!s.ok()) return s.status();
         return std::unique_ptr<Store>(std::move(*s));
       }},
      {"Memory",
       [](const std::string&) -> absl::StatusOr<std::unique_ptr<Store>> {
         return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
       }},
  };
}

namespace {

std::string FactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

#define DIRBRIDGE_INSTANTIATE_STORE_SUITE(suite) \
  INSTANTIATE_TEST_SUITE_P(, suite, ::testing::ValuesIn(StoresUnderTest()), FactoryName)

DIRBRIDGE_INSTANTIATE_STORE_SUITE(TenantStoreTest);
DIRBRIDGE_INSTANTIATE_STORE_SUITE(ConnectorStoreTest);
DIRBRIDGE_INSTANTIATE_STORE_SUITE(MappingStoreTest);
DIRBRIDGE_INSTANTIATE_STORE_SUITE(UserStoreTest);
DIRBRIDGE_INSTANTIATE_STORE_SUITE(EkeyStoreTest);
DIRBRIDGE_INSTANTIATE_STORE_SUITE(DeploymentStoreTest);
DIRBRIDGE_INSTANTIATE_STORE_SUITE(AlertStoreTest);
DIRBRIDGE_INSTANTIATE_STORE_SUITE(AuditStoreTest);
DIRBRIDGE_INSTANTIATE_STORE_SUITE(PresenceStoreTest);

}  // namespace
}  // namespace dirbridge::cloud
