// Reactions only enqueue: with the store hung, sessions keep carrying calls.
// Each test would fail if a reaction (a session's reader, a backend
// handler, a result callback) waited on the store: the store's Hang blocks
// the thread that calls it.

#include <atomic>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud/in_process_cloud.h"

namespace dirbridge::testing {
namespace {

grpc::Status Ping(InProcessCloud& cloud, const std::string& payload,
                  absl::Duration timeout = absl::Seconds(5)) {
  v1::PingConnectorRequest req;
  req.set_payload(payload);
  v1::PingConnectorResponse resp;
  grpc::Status st = cloud.admin().PingConnector(cloud.Ctx(timeout).get(), req, &resp);
  if (st.ok() && resp.payload() != payload) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "wrong echo");
  }
  return st;
}

class StoreHangTest : public ::testing::Test {
 protected:
  void SetUp() override {
    credential_ = cloud_.AddConnector("c1");
    connector_ = std::make_unique<ScriptedConnector>(cloud_, credential_, AnswerEcho);
    ASSERT_TRUE(cloud_.WaitConnected("c1", absl::Seconds(10)));
    // The token is cached from here on: routed calls need no store.
    ASSERT_TRUE(Ping(cloud_, "warm").ok());
  }

  InProcessCloud cloud_;
  std::string credential_;
  std::unique_ptr<ScriptedConnector> connector_;
};

// The connector's answer to ProvisionEkey is stored from the result
// callback. Were that on the session's reading thread, the stream would
// stop reading until the store came back, and the echo behind it would
// never be read.
TEST_F(StoreHangTest, ASessionReadsOnWhileAnAnswerWaitsForTheStore) {
  std::atomic<bool> provisioned{false};
  grpc::Status provision_status;
  v1::ProvisionEkeyResponse provision;
  std::thread backend([&] {
    v1::ProvisionEkeyRequest req;
    req.set_user_id("u1");
    provision_status =
        cloud_.keys().ProvisionEkey(cloud_.Ctx(absl::Seconds(30)).get(), req, &provision);
    provisioned = true;
  });
  std::optional<v1::CallRequest> wrap = connector_->NextCall(absl::Seconds(10));
  ASSERT_TRUE(wrap.has_value());
  ASSERT_EQ(wrap->request_case(), v1::CallRequest::kWrapNewEkey);

  cloud_.store().Hang();
  connector_->Answer(wrap->call_id(), [](v1::CallResult& r) {
    r.mutable_wrap_new_ekey()->set_wrapped_ekey("wrapped-bytes");
    r.mutable_wrap_new_ekey()->set_kek_version(7);
  });
  ASSERT_TRUE(cloud_.store().WaitForHung(1, absl::Seconds(10)))
      << "the answer never reached the store";

  // Same session, same stream: answered while PutEkey hangs.
  for (int i = 0; i < 5; ++i) {
    grpc::Status st = Ping(cloud_, "while hung " + std::to_string(i));
    EXPECT_TRUE(st.ok()) << st.error_message();
  }
  EXPECT_FALSE(provisioned);

  cloud_.store().Release();
  backend.join();
  ASSERT_TRUE(provision_status.ok()) << provision_status.error_message();
  absl::StatusOr<cloud::EkeyRecord> stored = cloud_.store().CurrentEkey(cloud_.tenant_id(), "u1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->key_id, provision.key_id());
  EXPECT_EQ(stored->wrapped, "wrapped-bytes");
}

// Calls that need the store wait on the store pool, not on gRPC's threads:
// more of them than gRPC has threads leave routed calls unharmed.
TEST_F(StoreHangTest, BackendCallsWaitingForTheStoreHoldNoGrpcThread) {
  cloud_.store().Hang();
  constexpr int kWaiting = 32;
  std::vector<std::thread> waiting;
  std::atomic<int> answered{0};
  for (int i = 0; i < kWaiting; ++i) {
    waiting.emplace_back([&] {
      v1::ListConnectorsResponse resp;
      grpc::Status st = cloud_.admin().ListConnectors(cloud_.Ctx(absl::Seconds(30)).get(),
                                                      v1::ListConnectorsRequest(), &resp);
      if (st.ok() && resp.connectors_size() == 1) ++answered;
    });
  }
  ASSERT_TRUE(cloud_.store().WaitForHung(4, absl::Seconds(10)));  // the pool's 4 threads
  for (int i = 0; i < 10; ++i) {
    grpc::Status st = Ping(cloud_, "p" + std::to_string(i));
    EXPECT_TRUE(st.ok()) << st.error_message();
  }
  cloud_.store().Release();
  for (std::thread& t : waiting) t.join();
  // Every waiting call was answered once the store came back (the pool's
  // queue of 64 held the rest).
  EXPECT_EQ(answered.load(), kWaiting);
}

// Presence is written off the stream: a connector that leaves while the
// store hangs is out of the routing at once, the other keeps serving, and
// the alert is stored once the store is back.
TEST_F(StoreHangTest, AConnectorLeavingWhileTheStoreHangsBlocksNobody) {
  std::string second = cloud_.AddConnector("c2");
  auto c2 = std::make_unique<ScriptedConnector>(cloud_, second, AnswerEcho);
  ASSERT_TRUE(cloud_.WaitConnected("c2", absl::Seconds(10)));
  ASSERT_TRUE(cloud_.registry().WaitForPresence(absl::Now() + absl::Seconds(5)));

  cloud_.store().Hang();
  c2->Close();
  ASSERT_TRUE(c2->WaitEnded(absl::Seconds(10)).has_value());
  ASSERT_TRUE(cloud_.store().WaitForHung(1, absl::Seconds(10)))
      << "the end of c2's session never reached the store";
  for (int i = 0; i < 10; ++i) {
    grpc::Status st = Ping(cloud_, "p" + std::to_string(i));
    EXPECT_TRUE(st.ok()) << st.error_message();
  }
  cloud_.store().Release();
  ASSERT_TRUE(cloud_.registry().WaitForPresence(absl::Now() + absl::Seconds(5)));
  EXPECT_EQ(cloud_.registry().Find("c2"), nullptr);
  absl::StatusOr<std::vector<cloud::AlertRecord>> alerts =
      cloud_.store().ListAlerts(cloud_.tenant_id(), /*active_only=*/true);
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].connector_id, "c2");
  EXPECT_EQ((*alerts)[0].kind, cloud::AlertKind::kConnectorNotConnected);
}

// Who a new stream is takes the store; while it hangs, the stream waits
// unserved and the connected one serves on.
TEST_F(StoreHangTest, AStreamBeingIdentifiedWaitsAloneForTheStore) {
  std::string second = cloud_.AddConnector("c2");
  cloud_.store().Hang();
  auto c2 = std::make_unique<ScriptedConnector>(cloud_, second, AnswerEcho);
  ASSERT_TRUE(cloud_.store().WaitForHung(1, absl::Seconds(10)));
  EXPECT_TRUE(Ping(cloud_, "still").ok());
  EXPECT_EQ(cloud_.registry().Find("c2"), nullptr);
  cloud_.store().Release();
  EXPECT_TRUE(cloud_.WaitConnected("c2", absl::Seconds(10)));
}

}  // namespace
}  // namespace dirbridge::testing
