// MemoryStore's own promises: the faults it injects. (Its Store semantics
// are the conformance suite's business.)

#include "cloud_svc/store/memory_store.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace dirbridge::cloud {
namespace {

constexpr absl::Duration kDeadline = absl::Seconds(30);

class MemoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_->CreateTenant({"t1", "acme", absl::UnixEpoch()}, "hash-t1").ok());
  }
  std::unique_ptr<MemoryStore> store_ = std::make_unique<MemoryStore>();
};

TEST_F(MemoryStoreTest, FailAllFailsEveryCallAndChangesNothingUntilCleared) {
  store_->FailAll(absl::UnavailableError("database is down"));
  EXPECT_EQ(store_->TenantByTokenHash("hash-t1").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->CreateTenant({"t2", "globex", absl::UnixEpoch()}, "hash-t2").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->ListAlerts("t1", false).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->ListAudit("t1", 10).status().message(), "database is down");
  store_->ClearFaults();
  EXPECT_TRUE(store_->TenantByTokenHash("hash-t1").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->TenantByTokenHash("hash-t2").status()));  // not written
}

TEST_F(MemoryStoreTest, FailNextFailsThatMethodOncePerFailure) {
  store_->FailNext("TenantByTokenHash", absl::InternalError("one"));
  store_->FailNext("TenantByTokenHash", absl::DeadlineExceededError("two"));
  EXPECT_TRUE(store_->ListConnectors("t1").ok());  // another method is not affected
  EXPECT_EQ(store_->TenantByTokenHash("hash-t1").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(store_->TenantByTokenHash("hash-t1").status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(store_->TenantByTokenHash("hash-t1").ok());

  store_->FailNext("CreateConnector", absl::UnavailableError("busy"));
  ConnectorRecord c;
  c.tenant_id = "t1";
  c.connector_id = "c1";
  EXPECT_EQ(store_->CreateConnector(c).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::IsNotFound(store_->GetConnector("t1", "c1").status()));  // not written
  EXPECT_TRUE(store_->CreateConnector(c).ok());
}

TEST_F(MemoryStoreTest, CallsCountsEveryCallFailedOrNot) {
  EXPECT_EQ(store_->calls("GetConnector"), 0);
  store_->FailNext("GetConnector", absl::InternalError("x"));
  store_->GetConnector("t1", "c1").IgnoreError();
  store_->GetConnector("t1", "c1").IgnoreError();
  EXPECT_EQ(store_->calls("GetConnector"), 2);
  EXPECT_EQ(store_->calls("CreateTenant"), 1);  // SetUp's
  EXPECT_EQ(store_->calls("ListAudit"), 0);
}

TEST_F(MemoryStoreTest, TheClaimAndPresenceMethodsFailAsTheOthers) {
  store_->FailNext("ClaimRun", absl::UnavailableError("busy"));
  store_->FailNext("Heartbeat", absl::UnavailableError("busy"));
  EXPECT_EQ(store_->ClaimRun("t1", "m1", absl::UnixEpoch(), absl::Now()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->Heartbeat("r1", "a:1", absl::Now()).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(store_->Heartbeat("r1", "a:1", absl::Now()).ok());  // once only
  store_->FailAll(absl::InternalError("down"));
  EXPECT_EQ(store_->PutSession({"r1", "t1", "c1", absl::Now()}).code(),
            absl::StatusCode::kInternal);
  store_->ClearFaults();
  EXPECT_TRUE(store_->PutSession({"r1", "t1", "c1", absl::Now()}).ok());
  for (const char* op : {"ClaimRun", "Heartbeat", "PutSession", "DropSession", "LiveReplicas",
                         "RemoveReplica", "TenantSessions", "DeadReplicas", "ReapReplica"}) {
    store_->FailNext(op, absl::InternalError("known"));  // aborts for an unknown name
  }
  EXPECT_EQ(store_->calls("PutSession"), 2);
}

TEST_F(MemoryStoreTest, AnUnknownOperationNameIsATestBug) {
  EXPECT_DEATH(store_->FailNext("GetConector", absl::InternalError("typo")),
               "unknown operation \"GetConector\"");
}

// Starts n threads that each call TenantByTokenHash; returns them.
std::vector<std::thread> CallInThreads(MemoryStore* store, int n, std::atomic<int>* done,
                                       std::atomic<int>* ok) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([store, done, ok] {
      absl::StatusOr<TenantRecord> t = store->TenantByTokenHash("hash-t1");
      if (t.ok()) ++*ok;
      ++*done;
    });
  }
  return threads;
}

TEST_F(MemoryStoreTest, HangBlocksCallsInsideTheStoreUntilRelease) {
  store_->Hang();
  std::atomic<int> done{0}, ok{0};
  std::vector<std::thread> threads = CallInThreads(store_.get(), 3, &done, &ok);
  ASSERT_TRUE(store_->WaitForHung(3, kDeadline));
  EXPECT_EQ(done.load(), 0);  // all three are inside the store call
  EXPECT_FALSE(store_->WaitForHung(4, absl::Milliseconds(20)));
  store_->Release();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(store_->calls("TenantByTokenHash"), 3);
  EXPECT_TRUE(store_->TenantByTokenHash("hash-t1").ok());  // no longer hanging
}

TEST_F(MemoryStoreTest, HangingAgainDoesNotStrandAnEarlierCall) {
  store_->Hang();
  std::atomic<int> done{0}, ok{0};
  std::vector<std::thread> first = CallInThreads(store_.get(), 1, &done, &ok);
  ASSERT_TRUE(store_->WaitForHung(1, kDeadline));
  store_->Release();
  store_->Hang();  // before the first call may even have woken
  first[0].join();
  EXPECT_EQ(ok.load(), 1);
  std::vector<std::thread> second = CallInThreads(store_.get(), 1, &done, &ok);
  ASSERT_TRUE(store_->WaitForHung(1, kDeadline));
  EXPECT_EQ(done.load(), 1);
  store_->ClearFaults();  // releases too
  second[0].join();
  EXPECT_EQ(ok.load(), 2);
}

TEST_F(MemoryStoreTest, AHungCallFailsTheFaultItWasGivenOnceReleased) {
  store_->Hang();
  store_->FailNext("TenantByTokenHash", absl::InternalError("after the hang"));
  std::atomic<int> done{0}, ok{0};
  std::vector<std::thread> threads = CallInThreads(store_.get(), 1, &done, &ok);
  ASSERT_TRUE(store_->WaitForHung(1, kDeadline));
  store_->Release();
  threads[0].join();
  EXPECT_EQ(ok.load(), 0);
  EXPECT_EQ(done.load(), 1);
}

TEST_F(MemoryStoreTest, DestroyingTheStoreReleasesHungCalls) {
  store_->Hang();
  std::atomic<int> done{0}, ok{0};
  std::atomic<int> unavailable{0};
  MemoryStore* raw = store_.get();
  std::thread t([raw, &done, &unavailable] {
    absl::Status st = raw->TenantByTokenHash("hash-t1").status();
    if (absl::IsUnavailable(st)) ++unavailable;
    ++done;
  });
  ASSERT_TRUE(store_->WaitForHung(1, kDeadline));
  store_.reset();  // returns only once the hung call has left the store
  t.join();
  EXPECT_EQ(unavailable.load(), 1);
  EXPECT_EQ(ok.load(), 0);
}

}  // namespace
}  // namespace dirbridge::cloud
