// Imports' limits and each tenant's share of the import workers, on the
// in-process cloud: tenant A's connector accepts SearchUsers and never
// answers (while answering pings); what tenant B sees is the point.

#include <atomic>
#include <memory>
#include <thread>

#include "cloud_svc/jobs/import_pool.h"
#include "cloud_svc/jobs/importer.h"
#include "cloud_svc/jobs/scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud/in_process_cloud.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kTenantB[] = "tenant-b";

// Takes every SearchUsers call and never answers it.
bool Stall(const v1::CallRequest& call, ScriptedConnector&) {
  return call.request_case() == v1::CallRequest::kSearchUsers;
}

// Answers every SearchUsers call at once: one user, then the end.
bool AnswerOneUser(const v1::CallRequest& call, ScriptedConnector& connector) {
  if (call.request_case() != v1::CallRequest::kSearchUsers) return false;
  v1::SearchUsersResponse chunk;
  v1::User* u = chunk.add_users();
  u->set_id("b-1");
  u->set_dn("uid=bob,ou=people,dc=b,dc=com");
  u->set_username("bob");
  connector.SendChunk(call.call_id(), chunk);
  connector.Answer(call.call_id(), [](v1::CallResult&) {});
  return true;
}

class ImportLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloud_.AddTenant(kTenantB);
    a_ = std::make_unique<ScriptedConnector>(cloud_, cloud_.AddConnector("a1"), &Stall);
    b_ = std::make_unique<ScriptedConnector>(cloud_, cloud_.AddConnector("b1", kTenantB),
                                             &AnswerOneUser);
    ASSERT_TRUE(cloud_.WaitConnected("a1", absl::Seconds(10)));
    ASSERT_TRUE(cloud_.WaitConnected("b1", absl::Seconds(10)));
    policy_.chunk_silence = absl::Seconds(2);
    policy_.timeout = absl::Seconds(20);
  }

  cloud::MappingRecord MakeMapping(const std::string& tenant, const std::string& id,
                                   absl::Time next_run = absl::InfiniteFuture()) {
    cloud::MappingRecord m;
    m.tenant_id = tenant;
    m.mapping_id = id;
    m.name = id;
    m.base_dn = "dc=example,dc=com";
    m.created_at = absl::Now();
    m.next_run_at = next_run;
    absl::StatusOr<cloud::MappingRecord> stored = cloud_.store().CreateMapping(m);
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.value_or(m);
  }

  InProcessCloud cloud_;
  std::unique_ptr<ScriptedConnector> a_, b_;
  cloud::ImportPolicy policy_;
};

TEST_F(ImportLimitsTest, ASilentConnectorFailsTheImportAtTheSilenceLimit) {
  policy_.chunk_silence = absl::Milliseconds(300);
  cloud::Importer importer(&cloud_.store(), &cloud_.router(), policy_);
  cloud::MappingRecord m = MakeMapping(cloud_.tenant_id(), "ma");
  absl::Time start = absl::Now();
  absl::StatusOr<v1::ImportReport> r = importer.Run(m);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("--import_chunk_silence"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // The connector is told to stop, an alert stands, and nobody was marked.
  EXPECT_TRUE(a_->WaitReceived(v1::CloudFrame::kCancel, 1, absl::Seconds(5)));
  absl::StatusOr<std::vector<cloud::AlertRecord>> alerts =
      cloud_.store().ListAlerts(cloud_.tenant_id(), true);
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].kind, cloud::AlertKind::kImportFailed);
  EXPECT_THAT((*alerts)[0].message, HasSubstr("No user was marked"));
  EXPECT_FALSE(importer.Running("ma"));
}

TEST_F(ImportLimitsTest, ChunksThatKeepComingStopAtTheOverallLimit) {
  // A connector that always has one more page: each chunk comes at once,
  // so only the overall limit ends the run.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> call_id{0};
  auto endless = [&](const v1::CallRequest& call, ScriptedConnector&) {
    if (call.request_case() != v1::CallRequest::kSearchUsers) return false;
    call_id = call.call_id();
    return true;
  };
  ScriptedConnector c(cloud_, cloud_.AddConnector("c2", kTenantB), endless);
  b_.reset();  // only c2 serves tenant B now
  ASSERT_TRUE(cloud_.WaitConnected("c2", absl::Seconds(10)));
  std::thread feeder([&] {
    if (!Eventually([&] { return stop || call_id != 0; })) return;
    // One chunk on the stream's first credit, then one per credit the
    // cloud grants back (one per chunk stored): never past its credit.
    size_t sent = 0, credits = 0;
    while (!stop) {
      if (sent > credits) {
        if (c.WaitReceived(v1::CloudFrame::kCredit, credits + 1, absl::Milliseconds(50))) {
          ++credits;
        }
        continue;
      }
      v1::SearchUsersResponse chunk;
      chunk.add_users()->set_id(absl::StrCat("u", sent++));
      c.SendChunk(call_id, chunk);
    }
  });
  policy_.chunk_silence = absl::Milliseconds(500);
  policy_.timeout = absl::Seconds(1);
  cloud::Importer importer(&cloud_.store(), &cloud_.router(), policy_);
  cloud::MappingRecord m = MakeMapping(kTenantB, "mb");
  absl::StatusOr<v1::ImportReport> r = importer.Run(m);
  stop = true;
  feeder.join();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("--import_timeout"));
}

TEST_F(ImportLimitsTest, AStalledTenantNeverMakesAnotherTenantsImportWait) {
  cloud::Importer importer(&cloud_.store(), &cloud_.router(), policy_);
  cloud::ImportPool pool(cloud::ImportPoolOptions{3, 2, 16});
  // Tenant A fills its share with imports its connector never answers.
  std::atomic<int> a_done{0};
  for (const char* id : {"a-1", "a-2"}) {
    cloud::MappingRecord m = MakeMapping(cloud_.tenant_id(), id);
    ASSERT_TRUE(pool.Submit(cloud_.tenant_id(), [&, m] {
      importer.Run(m).IgnoreError();
      ++a_done;
    }).ok());
  }
  ASSERT_TRUE(a_->WaitReceived(v1::CloudFrame::kCall, 2, absl::Seconds(5)));
  // Its third is refused at once, naming the limit, instead of queued.
  absl::Status third = pool.Submit(cloud_.tenant_id(), [] {});
  EXPECT_EQ(third.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(third.message()), HasSubstr("--imports_per_tenant"));
  // Tenant B's import runs now, on time, while A's still hang.
  cloud::MappingRecord mb = MakeMapping(kTenantB, "b-1");
  absl::Mutex mu;
  std::optional<absl::StatusOr<v1::ImportReport>> b_result;
  absl::Time start = absl::Now();
  ASSERT_TRUE(pool.Submit(kTenantB, [&] {
    absl::StatusOr<v1::ImportReport> r = importer.Run(mb);
    absl::MutexLock lock(&mu);
    b_result = std::move(r);
  }).ok());
  {
    absl::MutexLock lock(&mu);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return b_result.has_value(); };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(5)));
    ASSERT_TRUE(b_result->ok()) << b_result->status();
    EXPECT_EQ((*b_result)->added(), 1u);
    EXPECT_TRUE((*b_result)->complete());
  }
  EXPECT_LT(absl::Now() - start, policy_.chunk_silence);
  EXPECT_EQ(a_done.load(), 0);  // A's were still waiting all along
  // A's end by the silence limit: workers come back, and A may import again.
  ASSERT_TRUE(Eventually([&] { return a_done.load() == 2; }, absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] { return pool.Active(cloud_.tenant_id()) == 0; }));
  EXPECT_TRUE(pool.Submit(cloud_.tenant_id(), [] {}).ok());
}

TEST_F(ImportLimitsTest, TheSchedulerSkipsATenantAtItsLimitAndRunsTheOthers) {
  cloud::Importer importer(&cloud_.store(), &cloud_.router(), policy_);
  cloud::ImportPool pool(cloud::ImportPoolOptions{3, 1, 16});
  // A's share is taken by a stalled import; B and A each have a run due.
  cloud::MappingRecord held = MakeMapping(cloud_.tenant_id(), "a-held");
  ASSERT_TRUE(pool.Submit(cloud_.tenant_id(), [&, held] { importer.Run(held).IgnoreError(); }).ok());
  ASSERT_TRUE(a_->WaitReceived(v1::CloudFrame::kCall, 1, absl::Seconds(5)));
  MakeMapping(cloud_.tenant_id(), "a-due", absl::Now());
  MakeMapping(kTenantB, "b-due", absl::Now());
  cloud::Scheduler scheduler(&cloud_.store(), &importer, &pool, absl::Milliseconds(50));
  // B's run completes...
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<cloud::MappingRecord> m = cloud_.store().GetMapping(kTenantB, "b-due");
    return m.ok() && !m->last_run_id.empty();
  }));
  // ...while A's stays due, neither queued nor lost.
  absl::StatusOr<cloud::MappingRecord> a = cloud_.store().GetMapping(cloud_.tenant_id(), "a-due");
  ASSERT_TRUE(a.ok());
  EXPECT_LE(a->next_run_at, absl::Now());
  EXPECT_TRUE(a->last_run_id.empty());
  EXPECT_EQ(pool.Active(cloud_.tenant_id()), 1);
}

TEST_F(ImportLimitsTest, TwoReplicasSchedulersRunADueImportOnce) {
  // Two replicas on one store: each its own importer, pool and scheduler.
  cloud::Importer importer1(&cloud_.store(), &cloud_.router(), policy_);
  cloud::Importer importer2(&cloud_.store(), &cloud_.router(), policy_);
  cloud::ImportPool pool1(cloud::ImportPoolOptions{3, 2, 16});
  cloud::ImportPool pool2(cloud::ImportPoolOptions{3, 2, 16});
  MakeMapping(kTenantB, "b-due", absl::Now());  // due now, then in 24h
  cloud::Scheduler s1(&cloud_.store(), &importer1, &pool1, absl::Milliseconds(20));
  cloud::Scheduler s2(&cloud_.store(), &importer2, &pool2, absl::Milliseconds(20));
  ASSERT_TRUE(b_->WaitReceived(v1::CloudFrame::kCall, 1, absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<cloud::MappingRecord> m = cloud_.store().GetMapping(kTenantB, "b-due");
    return m.ok() && !m->last_run_id.empty();
  }));
  // Many ticks of both: no second run of the same interval.
  EXPECT_FALSE(b_->WaitReceived(v1::CloudFrame::kCall, 2, absl::Milliseconds(500)));
  EXPECT_GT(cloud_.store().GetMapping(kTenantB, "b-due")->next_run_at,
            absl::Now() + absl::Hours(20));
}

}  // namespace
}  // namespace dirbridge::testing
