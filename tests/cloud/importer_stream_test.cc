// cloud::Importer's stream: credits, a store failure mid-stream, one run
// per mapping, and which runs read incrementally.

#include <future>

#include "absl/cleanup/cleanup.h"
#include "gmock/gmock.h"
#include "tests/cloud/importer_fixture.h"

namespace dirbridge::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using cloud::UserState;

// The test plays the connector's side of each SearchUsers stream.
class ImporterByHandTest : public ImporterTest {
 protected:
  ImporterByHandTest() { by_hand_ = true; }

  // Starts a run on its own thread and waits for its SearchUsers call.
  std::future<absl::StatusOr<v1::ImportReport>> Start(uint64_t& call_id) {
    auto run = std::async(std::launch::async, [this] { return Run(); });
    std::optional<v1::CallRequest> call = connector_->NextCall(absl::Seconds(10));
    EXPECT_TRUE(call.has_value() && call->has_search_users());
    call_id = call ? call->call_id() : 0;
    return run;
  }

  // Chunk i: users c<i>a and c<i>b.
  static v1::SearchUsersResponse Chunk(int i) {
    v1::SearchUsersResponse c;
    *c.add_users() = DirectoryUser("c" + std::to_string(i) + "a");
    *c.add_users() = DirectoryUser("c" + std::to_string(i) + "b");
    c.set_watermark(std::to_string(100 + i));
    c.set_server("ldap-a");
    return c;
  }
};

// Should a test stop early, the run it started must end before the
// future's destructor waits for it: ending the stream ends the run.
#define STOP_RUN_AT_EXIT() \
  absl::Cleanup stop_run = [this] { connector_->Close(); }

// The connector sends a chunk only against a credit, as connector_svc
// does: the import moves only if each stored chunk gives one back.
TEST_F(ImporterByHandTest, EachStoredChunkGivesOneCreditBack) {
  uint64_t id = 0;
  auto run = Start(id);
  STOP_RUN_AT_EXIT();
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(connector_->WaitReceived(v1::CloudFrame::kSettings, 1, absl::Seconds(10)));
  size_t initial =
      connector_->Received(v1::CloudFrame::kSettings)[0].settings().initial_stream_credits();
  ASSERT_EQ(initial, 2u);
  constexpr size_t kChunks = 5;
  size_t sent = 0;
  while (sent < kChunks) {
    size_t granted = connector_->Received(v1::CloudFrame::kCredit).size();
    if (sent < initial + granted) {
      connector_->SendChunk(id, Chunk(static_cast<int>(sent++)));
      continue;
    }
    ASSERT_TRUE(connector_->WaitReceived(v1::CloudFrame::kCredit, granted + 1, absl::Seconds(10)))
        << "no credit came back after " << sent << " chunks";
  }
  ASSERT_TRUE(connector_->WaitReceived(v1::CloudFrame::kCredit, kChunks, absl::Seconds(10)));
  connector_->Answer(id, [](v1::CallResult&) {});
  absl::StatusOr<v1::ImportReport> r = run.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->added(), 2 * kChunks);
  std::vector<v1::CloudFrame> credits = connector_->Received(v1::CloudFrame::kCredit);
  ASSERT_EQ(credits.size(), kChunks);
  for (const v1::CloudFrame& c : credits) {
    EXPECT_EQ(c.credit().call_id(), id);
    EXPECT_EQ(c.credit().n(), 1u);
  }
  EXPECT_EQ(cloud_.store().calls("UpsertUsers"), static_cast<int>(kChunks));
}

TEST_F(ImporterByHandTest, ACreditGoesBackOnlyOnceTheChunkIsStored) {
  uint64_t id = 0;
  auto run = Start(id);
  STOP_RUN_AT_EXIT();
  cloud_.store().Hang();
  connector_->SendChunk(id, Chunk(0));
  ASSERT_TRUE(cloud_.store().WaitForHung(1, absl::Seconds(10)));
  EXPECT_EQ(cloud_.store().calls("UpsertUsers"), 1);
  EXPECT_THAT(connector_->Received(v1::CloudFrame::kCredit), IsEmpty())
      << "a credit went back before the chunk was stored";
  cloud_.store().Release();
  ASSERT_TRUE(connector_->WaitReceived(v1::CloudFrame::kCredit, 1, absl::Seconds(10)));
  connector_->Answer(id, [](v1::CallResult&) {});
  absl::StatusOr<v1::ImportReport> r = run.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->added(), 2u);
}

// The store fails on the first chunk: the run stops reading, and tells
// the connector so (a Cancel), instead of leaving the stream to run on.
TEST_F(ImporterByHandTest, AStoreFailureCancelsTheStream) {
  uint64_t id = 0;
  auto run = Start(id);
  STOP_RUN_AT_EXIT();
  cloud_.store().FailNext("UpsertUsers", absl::InternalError("disk full"));
  connector_->SendChunk(id, Chunk(0));
  ASSERT_TRUE(connector_->WaitReceived(v1::CloudFrame::kCancel, 1, absl::Seconds(10)));
  EXPECT_EQ(connector_->Received(v1::CloudFrame::kCancel)[0].cancel().call_id(), id);
  absl::StatusOr<v1::ImportReport> r = run.get();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(connector_->Received(v1::CloudFrame::kCredit), IsEmpty());
  EXPECT_THAT(States(), IsEmpty());
}

TEST_F(ImporterByHandTest, ASecondRunOfTheMappingIsAborted) {
  uint64_t id = 0;
  auto run = Start(id);
  STOP_RUN_AT_EXIT();
  EXPECT_TRUE(importer_->Running("m1"));
  absl::StatusOr<v1::ImportReport> second = Run();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(second.status().message(), HasSubstr("already running"));
  EXPECT_EQ(importer_->ResolveHeld(Mapping(), true).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(connector_->Received(v1::CloudFrame::kCall).size(), 1u)
      << "the second run reached the connector";

  connector_->SendChunk(id, Chunk(0));
  connector_->Answer(id, [](v1::CallResult&) {});
  absl::StatusOr<v1::ImportReport> r = run.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->added(), 2u);
  EXPECT_FALSE(importer_->Running("m1"));
}

// A full run from ldap-a at watermark 105 is the base of the others.
class ImporterIncrementalTest : public ImporterTest {
 protected:
  void SetUp() override {
    ImporterTest::SetUp();
    directory_.SetUsers(Users(3));
    directory_.SetMarks("ldap-a", "105");
    ASSERT_TRUE(Run().ok());
    ASSERT_EQ(Mapping().watermark, "105");
    ASSERT_EQ(Mapping().watermark_server, "ldap-a");
  }
};

TEST_F(ImporterIncrementalTest, ARunFromTheSameServerReadsOnlyChanges) {
  absl::Time last_full = Mapping().last_full_at;
  std::vector<v1::User> changed = {DirectoryUser("u2", "moved@example.com")};
  directory_.SetUsers(changed);
  directory_.SetMarks("ldap-a", "110");
  absl::StatusOr<v1::ImportReport> r = Run(/*incremental=*/true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->incremental());
  EXPECT_FALSE(r->complete());
  EXPECT_EQ(r->updated(), 1u);
  ASSERT_EQ(directory_.requests().size(), 2u);
  EXPECT_EQ(directory_.requests()[1].changed_since(), "105");
  // Removals are not seen this way: nobody is marked.
  EXPECT_THAT(InState(UserState::kActive), ElementsAre("u1", "u2", "u3"));
  EXPECT_EQ(Mapping().watermark, "110");
  EXPECT_EQ(Mapping().last_full_at, last_full);
}

// Markers of two servers do not compare: a full run instead, whose marks
// become the next base.
TEST_F(ImporterIncrementalTest, ARunAnsweredByAnotherServerBecomesAFullRun) {
  directory_.SetUsers(Users(2));
  directory_.SetMarks("ldap-b", "7");
  absl::StatusOr<v1::ImportReport> r = Run(/*incremental=*/true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->incremental());
  EXPECT_TRUE(r->complete());
  EXPECT_EQ(r->not_in_directory(), 1u);
  std::vector<v1::SearchUsersRequest> requests = directory_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].changed_since(), "105");
  EXPECT_EQ(requests[2].changed_since(), "");
  EXPECT_EQ(Mapping().watermark_server, "ldap-b");
  EXPECT_EQ(Mapping().watermark, "7");
}

TEST_F(ImporterIncrementalTest, AnIncrementalRunIsFullOnceAFullRunIsDue) {
  cloud::MappingRecord m = Mapping();
  m.last_full_at = absl::Now() - policy_.full_interval - absl::Hours(1);
  ASSERT_TRUE(cloud_.store().SetMappingRun(m).ok());
  absl::StatusOr<v1::ImportReport> r = Run(/*incremental=*/true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->complete());
  ASSERT_EQ(directory_.requests().size(), 2u);
  EXPECT_EQ(directory_.requests()[1].changed_since(), "");
}

TEST_F(ImporterTest, AnIncrementalRunWithoutABaseIsFull) {
  directory_.SetUsers(Users(2));
  absl::StatusOr<v1::ImportReport> r = Run(/*incremental=*/true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->complete());
  EXPECT_FALSE(r->incremental());
  ASSERT_EQ(directory_.requests().size(), 1u);
  EXPECT_EQ(directory_.requests()[0].changed_since(), "");
}

}  // namespace
}  // namespace dirbridge::testing
