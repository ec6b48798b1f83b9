#include <atomic>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/store/heard.h"
#include "tests/store/store_conformance.h"

namespace dirbridge::cloud {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Comparable forms that read well in a failure: "replica@addr" and
// "replica/tenant/connector".
std::vector<std::string> Names(const std::vector<ReplicaRecord>& v) {
  std::vector<std::string> out;
  for (const ReplicaRecord& r : v) out.push_back(absl::StrCat(r.replica_id, "@", r.peer_addr));
  return out;
}
std::vector<std::string> Names(const std::vector<HeldSession>& v) {
  std::vector<std::string> out;
  for (const HeldSession& s : v) {
    out.push_back(absl::StrCat(s.replica_id, "/", s.tenant_id, "/", s.connector_id));
  }
  return out;
}

// Three replicas (T: the suite's clock): r1 last seen at T(10), r2 and r3 at T(20). r1 holds t1's
// c1 and t2's c3; r2 holds t1's c1 too (c1 is moving) and c2.
void HoldSome(Store& store, absl::Time (*T)(int64_t)) {
  ASSERT_TRUE(store.Heartbeat("r1", "r1:7000", T(10)).ok());
  ASSERT_TRUE(store.Heartbeat("r2", "r2:7000", T(20)).ok());
  ASSERT_TRUE(store.Heartbeat("r3", "r3:7000", T(20)).ok());
  for (const HeldSession& s : std::vector<HeldSession>{{"r2", "t1", "c2", {}},
                                                       {"r1", "t1", "c1", {}},
                                                       {"r2", "t1", "c1", {}},
                                                       {"r1", "t2", "c3", {}}}) {
    HeldSession held = s;
    held.since = T(1);
    absl::Status st = store.PutSession(held);
    ASSERT_TRUE(st.ok()) << st;
  }
}

TEST_P(PresenceStoreTest, AReplicaIsLiveUntilItsHeartbeatIsOld) {
  ASSERT_TRUE(store().Heartbeat("r1", "10.0.0.1:7000", T(10)).ok());
  ASSERT_TRUE(store().Heartbeat("r2", "10.0.0.2:7000", T(20)).ok());
  EXPECT_THAT(Names(VALUE_OF(store().LiveReplicas(T(5)))),
              ElementsAre("r1@10.0.0.1:7000", "r2@10.0.0.2:7000"));
  EXPECT_THAT(Names(VALUE_OF(store().LiveReplicas(T(10)))), ElementsAre("r2@10.0.0.2:7000"));
  EXPECT_THAT(Names(VALUE_OF(store().DeadReplicas(T(10)))), ElementsAre("r1@10.0.0.1:7000"));
  EXPECT_THAT(VALUE_OF(store().DeadReplicas(T(9))), IsEmpty());
  EXPECT_THAT(VALUE_OF(store().LiveReplicas(T(20))), IsEmpty());

  // A heartbeat refreshes the row, the address included.
  ASSERT_TRUE(store().Heartbeat("r1", "10.0.0.9:7000", T(30)).ok());
  std::vector<ReplicaRecord> live = VALUE_OF(store().LiveReplicas(T(20)));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].replica_id, "r1");
  EXPECT_EQ(live[0].peer_addr, "10.0.0.9:7000");
  EXPECT_EQ(live[0].last_seen, T(30));
}

TEST_P(PresenceStoreTest, ASessionNeedsItsReplicasRowAndPutAgainReplacesIt) {
  EXPECT_CODE(store().PutSession({"r1", kT1, "c1", T(1)}), kFailedPrecondition);
  EXPECT_THAT(VALUE_OF(store().TenantSessions(kT1, T(0))), IsEmpty());
  ASSERT_TRUE(store().Heartbeat("r1", "a:1", T(10)).ok());
  ASSERT_TRUE(store().PutSession({"r1", kT1, "c1", T(1)}).ok());
  ASSERT_TRUE(store().PutSession({"r1", kT1, "c1", T(7)}).ok());
  std::vector<HeldSession> held = VALUE_OF(store().TenantSessions(kT1, T(0)));
  EXPECT_THAT(Names(held), ElementsAre("r1/t1/c1"));
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].since, T(7));
}

TEST_P(PresenceStoreTest, TenantSessionsAreTheTenantsOnLiveReplicasOnly) {
  HoldSome(store(), &T);
  EXPECT_THAT(Names(VALUE_OF(store().TenantSessions(kT1, T(5)))),
              ElementsAre("r1/t1/c1", "r2/t1/c1", "r2/t1/c2"));
  EXPECT_THAT(Names(VALUE_OF(store().TenantSessions(kT1, T(10)))),  // r1 is dead
              ElementsAre("r2/t1/c1", "r2/t1/c2"));
  EXPECT_THAT(Names(VALUE_OF(store().TenantSessions(kT2, T(5)))), ElementsAre("r1/t2/c3"));
  EXPECT_THAT(VALUE_OF(store().TenantSessions(kT2, T(10))), IsEmpty());
  EXPECT_THAT(VALUE_OF(store().TenantSessions("t-unknown", T(0))), IsEmpty());
}

TEST_P(PresenceStoreTest, DropSessionEndsOneReplicasHoldOnly) {
  HoldSome(store(), &T);
  ASSERT_TRUE(store().DropSession("r1", "c1").ok());
  ASSERT_TRUE(store().DropSession("r1", "c1").ok());  // again: nothing to drop, OK
  ASSERT_TRUE(store().DropSession("r3", "c2").ok());  // never held: OK
  ASSERT_TRUE(store().DropSession("r-ghost", "c2").ok());
  EXPECT_THAT(Names(VALUE_OF(store().TenantSessions(kT1, T(5)))),
              ElementsAre("r2/t1/c1", "r2/t1/c2"));
}

TEST_P(PresenceStoreTest, RemoveReplicaTakesItsSessionsWithIt) {
  HoldSome(store(), &T);
  ASSERT_TRUE(store().RemoveReplica("r1").ok());
  ASSERT_TRUE(store().RemoveReplica("r1").ok());  // absent: OK
  EXPECT_THAT(Names(VALUE_OF(store().LiveReplicas(T(0)))), ElementsAre("r2@r2:7000", "r3@r3:7000"));
  EXPECT_THAT(Names(VALUE_OF(store().TenantSessions(kT1, T(0)))),
              ElementsAre("r2/t1/c1", "r2/t1/c2"));
  EXPECT_THAT(VALUE_OF(store().TenantSessions(kT2, T(0))), IsEmpty());
  EXPECT_CODE(store().PutSession({"r1", kT1, "c9", T(1)}), kFailedPrecondition);
  // Back after a heartbeat, with none of its old sessions.
  ASSERT_TRUE(store().Heartbeat("r1", "r1:7000", T(30)).ok());
  EXPECT_THAT(VALUE_OF(store().TenantSessions(kT2, T(0))), IsEmpty());
}

TEST_P(PresenceStoreTest, ReapReplicaTakesADeadReplicaAndGivesItsSessionsOnce) {
  HoldSome(store(), &T);
  EXPECT_THAT(VALUE_OF(store().ReapReplica("r2", T(10))), IsEmpty());  // alive: left alone
  EXPECT_THAT(VALUE_OF(store().ReapReplica("r-ghost", T(10))), IsEmpty());
  EXPECT_THAT(Names(VALUE_OF(store().ReapReplica("r1", T(10)))),
              ::testing::UnorderedElementsAre("r1/t1/c1", "r1/t2/c3"));
  EXPECT_THAT(VALUE_OF(store().ReapReplica("r1", T(10))), IsEmpty());  // reaped already
  EXPECT_THAT(Names(VALUE_OF(store().LiveReplicas(T(0)))), ElementsAre("r2@r2:7000", "r3@r3:7000"));
  EXPECT_THAT(VALUE_OF(store().DeadReplicas(T(10))), IsEmpty());
  EXPECT_THAT(Names(VALUE_OF(store().TenantSessions(kT1, T(0)))),
              ElementsAre("r2/t1/c1", "r2/t1/c2"));
  // Reaped means it must heartbeat before it holds anything again.
  EXPECT_CODE(store().PutSession({"r1", kT1, "c1", T(1)}), kFailedPrecondition);
}

TEST_P(PresenceStoreTest, AReplicaThatHeartbeatSinceIsNotReaped) {
  HoldSome(store(), &T);
  ASSERT_THAT(Names(VALUE_OF(store().DeadReplicas(T(10)))), ElementsAre("r1@r1:7000"));
  ASSERT_TRUE(store().Heartbeat("r1", "r1:7000", T(30)).ok());  // between the look and the reap
  EXPECT_THAT(VALUE_OF(store().ReapReplica("r1", T(10))), IsEmpty());
  EXPECT_THAT(Names(VALUE_OF(store().TenantSessions(kT2, T(25)))), ElementsAre("r1/t2/c3"));
}

TEST_P(PresenceStoreTest, OfConcurrentReapsOfOneReplicaExactlyOneGetsItsSessions) {
  HoldSome(store(), &T);
  constexpr int kThreads = 8;
  std::atomic<int> mourners{0}, failed{0};
  std::atomic<size_t> sessions{0};
  RunConcurrently(kThreads, [&](int) {
    absl::StatusOr<std::vector<HeldSession>> r = store().ReapReplica("r1", T(10));
    if (!r.ok()) {
      ++failed;
    } else if (!r->empty()) {
      ++mourners;
      sessions += r->size();
    }
  });
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(mourners.load(), 1);
  EXPECT_EQ(sessions.load(), 2u);
}

TEST_P(PresenceStoreTest, WatchSessionsHearsEveryChangeOffTheCallersThread) {
  auto heard = std::make_shared<Heard>();
  const std::thread::id test_thread = std::this_thread::get_id();
  Store* s = &store();
  store().WatchSessions([heard, test_thread, s](const std::string& tenant_id) {
    // A callback may read the store: no store lock is held around it.
    absl::StatusOr<std::vector<HeldSession>> now = s->TenantSessions(tenant_id, absl::UnixEpoch());
    absl::MutexLock lock(&heard->mu);
    heard->wrong |= std::this_thread::get_id() == test_thread || !now.ok();
    heard->tenants.push_back(tenant_id);
  });
  ASSERT_TRUE(store().Heartbeat("r1", "r1:7000", T(10)).ok());
  ASSERT_TRUE(store().Heartbeat("r2", "r2:7000", T(10)).ok());
  ASSERT_TRUE(store().PutSession({"r1", kT1, "c1", T(1)}).ok());
  EXPECT_TRUE(heard->WaitFor(kT1));
  ASSERT_TRUE(store().PutSession({"r1", kT2, "c2", T(1)}).ok());
  EXPECT_TRUE(heard->WaitFor(kT2));
  ASSERT_TRUE(store().DropSession("r1", "c1").ok());
  EXPECT_TRUE(heard->WaitFor(kT1));
  ASSERT_TRUE(store().RemoveReplica("r1").ok());
  EXPECT_TRUE(heard->WaitFor(""));
  ASSERT_TRUE(store().PutSession({"r2", kT2, "c2", T(1)}).ok());
  EXPECT_TRUE(heard->WaitFor(kT2));
  EXPECT_EQ(VALUE_OF(store().ReapReplica("r2", T(10))).size(), 1u);
  EXPECT_TRUE(heard->WaitFor(""));
  absl::MutexLock lock(&heard->mu);
  EXPECT_FALSE(heard->wrong);
}

}  // namespace
}  // namespace dirbridge::cloud
