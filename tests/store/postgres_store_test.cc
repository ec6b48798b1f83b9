// What only PostgresStore promises, on a real PostgreSQL: replicas that
// start at once migrate once, the pool is bounded, a stopped server is
// UNAVAILABLE and a restarted one works again without a restart of ours,
// and one replica hears another's sessions. (Store semantics: the
// conformance suite.)

#include "cloud_svc/store/postgres/postgres_store.h"

#include <atomic>
#include <memory>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "cloud_svc/store/postgres/pg_pool.h"
#include "cloud_svc/store/postgres/pg_schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/postgres.h"
#include "tests/harness/process.h"
#include "tests/store/heard.h"

namespace dirbridge::cloud {
namespace {

using ::testing::HasSubstr;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::Postgres*> pg = testing::Postgres::Shared();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *pg;
    ASSERT_TRUE(pg_->Start().ok());  // a test before may have stopped it
    absl::StatusOr<std::string> db = pg_->NewDatabase();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *db;
  }

  PostgresOptions Options() const {
    PostgresOptions o;
    o.uri = pg_->uri(db_);
    o.password = pg_->password();
    o.pool_size = 4;
    o.checkout_timeout = absl::Seconds(2);
    o.connect_timeout = absl::Seconds(2);
    return o;
  }

  std::unique_ptr<PostgresStore> MustOpen() {
    absl::StatusOr<std::unique_ptr<PostgresStore>> s = PostgresStore::Open(Options());
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  testing::Postgres* pg_ = nullptr;
  std::string db_;
};

ConnectorRecord Connector(const std::string& tenant_id, const std::string& connector_id) {
  ConnectorRecord c;
  c.tenant_id = tenant_id;
  c.connector_id = connector_id;
  c.name = "dc";
  c.created_at = absl::Now();
  return c;
}

TEST_F(PostgresStoreTest, ReplicasStartingAtOnceMigrateOnce) {
  constexpr int kReplicas = 6;
  std::vector<absl::Status> opened(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] { opened[i] = PostgresStore::Open(Options()).status(); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& st : opened) EXPECT_TRUE(st.ok()) << st;
  absl::StatusOr<std::string> rows =
      pg_->Psql("SELECT count(*), max(version) FROM schema_migrations", db_);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(*rows, HasSubstr(absl::StrCat(PostgresSchemaVersion(), "|",
                                            PostgresSchemaVersion())));
  EXPECT_TRUE(PostgresStore::Open(Options()).ok());  // and again: nothing to do
}

TEST_F(PostgresStoreTest, RefusesADatabaseOfANewerRelease) {
  ASSERT_NE(MustOpen(), nullptr);
  ASSERT_TRUE(pg_->Psql("INSERT INTO schema_migrations VALUES (999, 0)", db_).ok());
  absl::Status st = PostgresStore::Open(Options()).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("newer"));
}

TEST_F(PostgresStoreTest, APasswordInTheUriIsRefusedAndNeverQuoted) {
  PostgresOptions o = Options();
  o.uri = absl::StrCat("postgresql://dirbridge:", pg_->password(), "@127.0.0.1:", pg_->port(),
                       "/", db_);
  absl::Status st = PostgresStore::Open(o).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("--store_password_file"));
  EXPECT_THAT(std::string(st.message()), ::testing::Not(HasSubstr(pg_->password())));
}

TEST_F(PostgresStoreTest, AWrongPasswordIsUnauthenticated) {
  PostgresOptions o = Options();
  o.password = "not-the-password";
  absl::Status st = PostgresStore::Open(o).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
  EXPECT_THAT(std::string(st.message()), ::testing::Not(HasSubstr("not-the-password")));
}

TEST_F(PostgresStoreTest, APoolCheckoutWaitsItsTimeThenIsUnavailable) {
  PostgresOptions o = Options();
  pg::Pool pool(pg::PoolOptions{{{"dbname", o.uri}, {"password", o.password}},
                                /*size=*/1, absl::Milliseconds(300)});
  absl::StatusOr<pg::Pool::Lease> held = pool.Checkout();
  ASSERT_TRUE(held.ok()) << held.status();
  const absl::Time start = absl::Now();
  absl::StatusOr<pg::Pool::Lease> second = pool.Checkout();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  // Given back while a Checkout waits, it is lent to that one: the pool is
  // bounded, not used up. A thread blocked in Checkout cannot be observed,
  // so the giver counts its delay from just before the call: a Checkout
  // that returns sooner than the delay did not wait for the lease.
  absl::Notification checking_out;
  const absl::Duration giver_delay = absl::Milliseconds(100);
  std::thread giver([&checking_out, giver_delay, held = std::move(*held)]() mutable {
    checking_out.WaitForNotification();
    absl::SleepFor(giver_delay);
    pg::Pool::Lease gone = std::move(held);
  });
  const absl::Time third_start = absl::Now();
  checking_out.Notify();
  absl::StatusOr<pg::Pool::Lease> third = pool.Checkout();
  const absl::Duration third_waited = absl::Now() - third_start;
  giver.join();
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_GE(third_waited, giver_delay);
  EXPECT_TRUE((*third)->Exec("SELECT 1").ok());
}

TEST_F(PostgresStoreTest, AStoppedServerIsUnavailableAndAStartedOneWorksAgain) {
  std::unique_ptr<PostgresStore> store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto heard = std::make_shared<Heard>();
  store->WatchSessions(Into(heard));
  ASSERT_TRUE(store->CreateTenant({"t1", "acme", absl::Now()}, "hash-t1").ok());
  // Several pooled connections, all of which the stop breaks.
  std::vector<std::thread> busy;
  for (int i = 0; i < 4; ++i) {
    busy.emplace_back([&] { EXPECT_TRUE(store->TenantByTokenHash("hash-t1").ok()); });
  }
  for (std::thread& t : busy) t.join();

  ASSERT_TRUE(pg_->Stop().ok());
  for (int i = 0; i < 6; ++i) {  // more calls than connections: each one answers
    const absl::Time start = absl::Now();
    absl::Status st = store->TenantByTokenHash("hash-t1").status();
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  }
  EXPECT_EQ(store->CreateConnector(Connector("t1", "c1")).code(),
            absl::StatusCode::kUnavailable);

  ASSERT_TRUE(pg_->Start().ok()) << pg_->Log();
  absl::StatusOr<TenantRecord> back = store->TenantByTokenHash("hash-t1");  // the first call
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->name, "acme");
  EXPECT_TRUE(store->CreateConnector(Connector("t1", "c1")).ok());
  // The listener lost notices meanwhile: it says so, so caches drop.
  EXPECT_TRUE(heard->WaitFor("", absl::Seconds(10)));
  ASSERT_TRUE(store->Heartbeat("r1", "a:1", absl::Now()).ok());
  ASSERT_TRUE(store->PutSession({"r1", "t1", "c1", absl::Now()}).ok());
  EXPECT_TRUE(heard->WaitFor("t1", absl::Seconds(10)));
}

TEST_F(PostgresStoreTest, AHungServerIsUnavailableWithinTheQueryTimeout) {
  PostgresOptions o = Options();
  o.query_timeout = absl::Seconds(1);
  absl::StatusOr<std::unique_ptr<PostgresStore>> opened = PostgresStore::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  PostgresStore& store = **opened;
  ASSERT_TRUE(store.CreateTenant({"t1", "acme", absl::Now()}, "hash-t1").ok());

  ASSERT_TRUE(pg_->Freeze().ok());
  absl::Cleanup thaw = [this] { pg_->Thaw(); };  // whatever fails below
  for (int i = 0; i < 3; ++i) {  // a pooled connection, then new ones: none hangs
    const absl::Time start = absl::Now();
    absl::Status st = store.TenantByTokenHash("hash-t1").status();
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
    EXPECT_LT(absl::Now() - start, absl::Seconds(6)) << st;
  }
  std::move(thaw).Invoke();
  EXPECT_TRUE(testing::WaitFor([&] { return store.TenantByTokenHash("hash-t1").ok(); },
                               absl::Seconds(10)));
}

TEST_F(PostgresStoreTest, ANulInTextIsRefusedNotCut) {
  std::unique_ptr<PostgresStore> store = MustOpen();
  ASSERT_NE(store, nullptr);
  absl::Status st = store->CreateTenant({"t1", std::string("ac\0me", 5), absl::Now()}, "h");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(store->TenantByTokenHash("h").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PostgresStoreTest, OneReplicaHearsAnothersSessions) {
  std::unique_ptr<PostgresStore> a = MustOpen();
  std::unique_ptr<PostgresStore> b = MustOpen();
  ASSERT_TRUE(a != nullptr && b != nullptr);
  auto heard = std::make_shared<Heard>();
  a->WatchSessions(Into(heard));
  ASSERT_TRUE(b->Heartbeat("r-b", "b:1", absl::Now()).ok());
  ASSERT_TRUE(b->PutSession({"r-b", "t7", "c1", absl::Now()}).ok());
  EXPECT_TRUE(heard->WaitFor("t7", absl::Seconds(10)));
  ASSERT_TRUE(b->DropSession("r-b", "c1").ok());
  EXPECT_TRUE(heard->WaitFor("t7", absl::Seconds(10)));
  ASSERT_TRUE(b->RemoveReplica("r-b").ok());
  EXPECT_TRUE(heard->WaitFor("", absl::Seconds(10)));
}

TEST_F(PostgresStoreTest, ARegistrationKeyRedeemedOnTwoReplicasAtOnceWorksOnce) {
  std::unique_ptr<PostgresStore> a = MustOpen();
  std::unique_ptr<PostgresStore> b = MustOpen();
  ASSERT_TRUE(a != nullptr && b != nullptr);
  ASSERT_TRUE(a->CreateTenant({"t1", "acme", absl::Now()}, "hash-t1").ok());
  for (int round = 0; round < 20; ++round) {
    const std::string c = absl::StrCat("c", round), key = absl::StrCat("key-", round);
    ASSERT_TRUE(a->CreateConnector(Connector("t1", c)).ok());
    ASSERT_TRUE(a->SetRegistrationKey("t1", c, key, absl::Now() + absl::Hours(1)).ok());
    std::atomic<int> won{0};
    std::thread on_a([&] { won += a->RedeemRegistrationKey(key, absl::Now(), c + "-a").ok(); });
    std::thread on_b([&] { won += b->RedeemRegistrationKey(key, absl::Now(), c + "-b").ok(); });
    on_a.join();
    on_b.join();
    EXPECT_EQ(won.load(), 1) << "round " << round;
  }
}

}  // namespace
}  // namespace dirbridge::cloud
