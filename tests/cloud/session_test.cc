// cloud::Session through real frames: a scripted connector on one side of
// a loopback tunnel stream, the session's own methods on the other.

#include <memory>
#include <string>

#include "common/version.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud/in_process_cloud.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

v1::CallRequest Echo(const std::string& payload) {
  v1::CallRequest r;
  r.mutable_echo()->set_payload(payload);
  return r;
}

v1::ConnectorFrame HelloOf(unsigned revision, unsigned min_revision) {
  v1::ConnectorFrame f = ScriptedConnector::DefaultHello();
  f.mutable_hello()->set_protocol_revision(revision);
  f.mutable_hello()->set_min_protocol_revision(min_revision);
  return f;
}

InProcessCloud::Options WithLimits(const cloud::SessionLimits& limits) {
  InProcessCloud::Options o;
  o.limits = limits;
  return o;
}

class SessionTest : public ::testing::Test {
 protected:
  explicit SessionTest(InProcessCloud::Options options = {}) : cloud_(std::move(options)) {}

  // c1, said Hello, ready.
  std::shared_ptr<cloud::Session> Connect(v1::ConnectorFrame hello = ScriptedConnector::DefaultHello()) {
    connector_ = std::make_unique<ScriptedConnector>(cloud_, cloud_.AddConnector("c1"), nullptr,
                                                     hello);
    if (!cloud_.WaitConnected("c1", absl::Seconds(10))) return nullptr;
    return cloud_.registry().Find("c1");
  }

  // The status the cloud ended a stream with that began with `first`.
  grpc::Status EndedAfter(const v1::ConnectorFrame& first) {
    connector_ = std::make_unique<ScriptedConnector>(cloud_, cloud_.AddConnector("c1"), nullptr,
                                                     first);
    std::optional<grpc::Status> st = connector_->WaitEnded(absl::Seconds(10));
    return st.value_or(grpc::Status(grpc::StatusCode::UNKNOWN, "the stream did not end"));
  }

  InProcessCloud cloud_;
  std::unique_ptr<ScriptedConnector> connector_;
};

TEST_F(SessionTest, TheFirstFrameMustBeHello) {
  v1::ConnectorFrame pong;
  pong.mutable_pong()->set_seq(1);
  grpc::Status st = EndedAfter(pong);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("first frame must be Hello"));
  EXPECT_TRUE(connector_->Received(v1::CloudFrame::kSettings).empty());
  EXPECT_EQ(cloud_.registry().Find("c1"), nullptr);
}

TEST_F(SessionTest, HelloTwiceEndsTheSession) {
  ASSERT_NE(Connect(), nullptr);
  connector_->Send(ScriptedConnector::DefaultHello());
  std::optional<grpc::Status> st = connector_->WaitEnded(absl::Seconds(10));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st->error_message(), HasSubstr("Hello sent twice"));
}

TEST_F(SessionTest, AConnectorTooOldIsToldToUpgrade) {
  grpc::Status st = EndedAfter(HelloOf(kMinProtocolRevision - 1, 0));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("upgrade the connector"));
  EXPECT_TRUE(connector_->Received(v1::CloudFrame::kSettings).empty());
}

TEST_F(SessionTest, AConnectorNeedingANewerCloudIsRefused) {
  grpc::Status st = EndedAfter(HelloOf(kProtocolRevision + 5, kProtocolRevision + 1));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("no common protocol revision"));
}

// Both sides speak the lower of the two revisions.
TEST_F(SessionTest, TheRevisionIsTheHighestBothSpeak) {
  std::shared_ptr<cloud::Session> s = Connect(HelloOf(kMinProtocolRevision, kMinProtocolRevision));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->revision(), kMinProtocolRevision);
  ASSERT_TRUE(connector_->WaitReceived(v1::CloudFrame::kSettings, 1, absl::Seconds(10)));
  EXPECT_EQ(connector_->Received(v1::CloudFrame::kSettings)[0].settings().protocol_revision(),
            kMinProtocolRevision);
}

TEST_F(SessionTest, ANewerConnectorIsSpokenToInTheCloudsRevision) {
  std::shared_ptr<cloud::Session> s = Connect(HelloOf(kProtocolRevision + 3, kMinProtocolRevision));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->revision(), kProtocolRevision);
}

class SessionLimitsTest : public SessionTest {
 protected:
  static cloud::SessionLimits Limits() {
    cloud::SessionLimits l;
    l.heartbeat_interval = absl::Milliseconds(1500);
    l.max_concurrent_calls = 2;
    l.initial_stream_credits = 3;
    l.max_frame_bytes = 1 << 20;
    return l;
  }
  SessionLimitsTest() : SessionTest(WithLimits(Limits())) {}
};

TEST_F(SessionLimitsTest, SettingsCarryTheLimits) {
  ASSERT_NE(Connect(), nullptr);
  ASSERT_TRUE(connector_->WaitReceived(v1::CloudFrame::kSettings, 1, absl::Seconds(10)));
  v1::Settings s = connector_->Received(v1::CloudFrame::kSettings)[0].settings();
  EXPECT_EQ(s.protocol_revision(), kProtocolRevision);
  EXPECT_EQ(s.heartbeat_interval().seconds(), 1);
  EXPECT_EQ(s.heartbeat_interval().nanos(), 500000000);
  EXPECT_EQ(s.max_concurrent_calls(), 2u);
  EXPECT_EQ(s.initial_stream_credits(), 3u);
  EXPECT_EQ(s.max_frame_bytes(), 1u << 20);
  EXPECT_EQ(s.connector_id(), "c1");
}

TEST_F(SessionLimitsTest, CallsBeyondTheMaximumAreRefused) {
  std::shared_ptr<cloud::Session> s = Connect();
  ASSERT_NE(s, nullptr);
  CallOutcome a, b, c;
  ASSERT_TRUE(s->StartCall(Echo("a"), a.Handlers()).ok());
  ASSERT_TRUE(s->StartCall(Echo("b"), b.Handlers()).ok());
  absl::StatusOr<uint64_t> third = s->StartCall(Echo("c"), c.Handlers());
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(c.done_count(), 0) << "a refused call's handlers are not run";

  // Through the router too, and room again once one is answered.
  CallOutcome routed;
  cloud_.router().Call(cloud_.tenant_id(), Echo("routed"), {}, routed.Handlers());
  ASSERT_TRUE(routed.Wait(absl::ZeroDuration()).has_value());
  EXPECT_EQ(routed.Wait()->status().code(), absl::StatusCode::kResourceExhausted);
  std::optional<v1::CallRequest> first = connector_->NextCall(absl::Seconds(10));
  ASSERT_TRUE(first.has_value());
  connector_->Answer(first->call_id(), [](v1::CallResult&) {});
  ASSERT_TRUE(a.Wait().has_value());
  EXPECT_TRUE(s->StartCall(Echo("d"), c.Handlers()).ok());
}

TEST_F(SessionTest, AnswersInAnyOrderReachTheirOwnCallers) {
  std::shared_ptr<cloud::Session> s = Connect();
  ASSERT_NE(s, nullptr);
  CallOutcome outcomes[3];
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s->StartCall(Echo("p" + std::to_string(i)), outcomes[i].Handlers()).ok());
  }
  std::vector<v1::CallRequest> calls;
  for (int i = 0; i < 3; ++i) {
    std::optional<v1::CallRequest> c = connector_->NextCall(absl::Seconds(10));
    ASSERT_TRUE(c.has_value());
    calls.push_back(*c);
  }
  for (int i = 2; i >= 0; --i) {
    connector_->Answer(calls[i].call_id(), [&](v1::CallResult& r) {
      r.mutable_echo()->set_payload("answer to " + calls[i].echo().payload());
    });
  }
  for (int i = 0; i < 3; ++i) {
    auto r = outcomes[i].Wait();
    ASSERT_TRUE(r.has_value());
    ASSERT_TRUE(r->ok()) << r->status();
    EXPECT_EQ((*r)->echo().payload(), "answer to p" + std::to_string(i));
    EXPECT_EQ(outcomes[i].done_count(), 1);
  }
}

// An answer to a call id the cloud never sent (or gave up on) reaches
// nobody, and the session carries on.
TEST_F(SessionTest, AnAnswerToAnUnknownCallIsIgnored) {
  std::shared_ptr<cloud::Session> s = Connect();
  ASSERT_NE(s, nullptr);
  CallOutcome o;
  absl::StatusOr<uint64_t> id = s->StartCall(Echo("mine"), o.Handlers());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(connector_->NextCall(absl::Seconds(10)).has_value());
  connector_->Answer(*id + 1000, [](v1::CallResult& r) {
    r.mutable_echo()->set_payload("stray");
  });
  connector_->Answer(*id, [](v1::CallResult& r) { r.mutable_echo()->set_payload("mine"); });
  auto r = o.Wait();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok()) << r->status();
  EXPECT_EQ((*r)->echo().payload(), "mine");
  EXPECT_EQ(o.done_count(), 1);
  EXPECT_TRUE(s->TakingCalls());
  EXPECT_EQ(s->InFlight(), 0);
}

TEST_F(SessionTest, ChunksReachAStreamingCallInOrder) {
  std::shared_ptr<cloud::Session> s = Connect();
  ASSERT_NE(s, nullptr);
  CallOutcome o;
  v1::CallRequest search;
  search.mutable_search_users()->set_base_dn("dc=example,dc=com");
  absl::StatusOr<uint64_t> id = s->StartCall(search, o.Handlers(/*streaming=*/true));
  ASSERT_TRUE(id.ok());
  for (const char* w : {"1", "2"}) {
    v1::SearchUsersResponse chunk;
    chunk.set_watermark(w);
    connector_->SendChunk(*id, chunk);
  }
  connector_->Answer(*id, [](v1::CallResult&) {});
  ASSERT_TRUE(o.Wait().has_value());
  std::vector<v1::ResultChunk> chunks = o.chunks();
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].search_users().watermark(), "1");
  EXPECT_EQ(chunks[1].search_users().watermark(), "2");
}

TEST_F(SessionTest, AChunkForACallThatDoesNotStreamEndsTheSession) {
  std::shared_ptr<cloud::Session> s = Connect();
  ASSERT_NE(s, nullptr);
  CallOutcome o;
  absl::StatusOr<uint64_t> id = s->StartCall(Echo("not streamed"), o.Handlers());
  ASSERT_TRUE(id.ok());
  connector_->SendChunk(*id, v1::SearchUsersResponse());
  std::optional<grpc::Status> st = connector_->WaitEnded(absl::Seconds(10));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st->error_message(), HasSubstr("does not stream"));
  auto r = o.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
}

// Goaway: nothing new goes to the connector, what it carries is answered.
TEST_F(SessionTest, AConnectorsGoawayDrainsTheSession) {
  std::shared_ptr<cloud::Session> s = Connect();
  ASSERT_NE(s, nullptr);
  CallOutcome o;
  ASSERT_TRUE(s->StartCall(Echo("in flight"), o.Handlers()).ok());
  std::optional<v1::CallRequest> call = connector_->NextCall(absl::Seconds(10));
  ASSERT_TRUE(call.has_value());
  v1::ConnectorFrame goaway;
  goaway.mutable_goaway()->set_reason("connector_svc is stopping");
  connector_->Send(goaway);
  ASSERT_TRUE(Eventually([&] { return s->Draining(); }));
  EXPECT_FALSE(s->TakingCalls());

  CallOutcome refused;
  EXPECT_EQ(s->StartCall(Echo("new"), refused.Handlers()).status().code(),
            absl::StatusCode::kUnavailable);
  CallOutcome routed;
  cloud_.router().Call(cloud_.tenant_id(), Echo("routed"), {}, routed.Handlers());
  ASSERT_TRUE(routed.Wait(absl::ZeroDuration()).has_value());
  EXPECT_EQ(routed.Wait()->status().code(), absl::StatusCode::kUnavailable);

  connector_->Answer(call->call_id(), [](v1::CallResult& r) {
    r.mutable_echo()->set_payload("still answered");
  });
  auto r = o.Wait();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok()) << r->status();
  EXPECT_EQ((*r)->echo().payload(), "still answered");
  EXPECT_EQ(connector_->Received(v1::CloudFrame::kCall).size(), 1u);
}

TEST_F(SessionTest, GrantCreditAndCancelSendTheirFrames) {
  std::shared_ptr<cloud::Session> s = Connect();
  ASSERT_NE(s, nullptr);
  CallOutcome o;
  absl::StatusOr<uint64_t> id = s->StartCall(Echo("x"), o.Handlers(/*streaming=*/true));
  ASSERT_TRUE(id.ok());
  s->GrantCredit(*id + 1000, 9);  // no such call: no frame
  s->GrantCredit(*id, 3);
  ASSERT_TRUE(connector_->WaitReceived(v1::CloudFrame::kCredit, 1, absl::Seconds(10)));
  s->CancelCall(*id, absl::CancelledError("gave up"));
  ASSERT_TRUE(connector_->WaitReceived(v1::CloudFrame::kCancel, 1, absl::Seconds(10)));
  std::vector<v1::CloudFrame> credits = connector_->Received(v1::CloudFrame::kCredit);
  ASSERT_EQ(credits.size(), 1u);
  EXPECT_EQ(credits[0].credit().call_id(), *id);
  EXPECT_EQ(credits[0].credit().n(), 3u);
  EXPECT_EQ(connector_->Received(v1::CloudFrame::kCancel)[0].cancel().call_id(), *id);
  auto r = o.Wait(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kCancelled);
  // A cancelled call takes no more credit.
  s->GrantCredit(*id, 1);
  s->CancelCall(*id, absl::CancelledError("twice"));
  EXPECT_EQ(o.done_count(), 1);
}

class SessionHeartbeatTest : public SessionTest {
 protected:
  static cloud::SessionLimits Limits() {
    cloud::SessionLimits l;
    l.heartbeat_interval = absl::Milliseconds(100);
    return l;
  }
  SessionHeartbeatTest() : SessionTest(WithLimits(Limits())) {}
};

TEST_F(SessionHeartbeatTest, ASilentConnectorIsClosedAndItsCallsFail) {
  std::shared_ptr<cloud::Session> s = Connect();
  ASSERT_NE(s, nullptr);
  ScriptedConnector answering(cloud_, cloud_.AddConnector("c2"));
  ASSERT_TRUE(cloud_.WaitConnected("c2", absl::Seconds(10)));
  // Answered pings keep a session up well past three intervals.
  ASSERT_TRUE(Eventually([&] { return connector_->pings() >= 5; }));
  EXPECT_TRUE(s->TakingCalls());

  CallOutcome o;
  ASSERT_TRUE(s->StartCall(Echo("never answered"), o.Handlers()).ok());
  connector_->StopAnsweringPings();
  int before = connector_->pings();
  auto r = o.Wait();
  ASSERT_TRUE(r.has_value()) << "the silent session was not closed";
  EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r->status().message(), HasSubstr("3 heartbeats"));
  EXPECT_GT(connector_->pings(), before);
  std::optional<grpc::Status> st = connector_->WaitEnded(absl::Seconds(10));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(s->TakingCalls());
  // The connector that answered is still there.
  EXPECT_TRUE(cloud_.WaitConnected("c2", absl::Seconds(1)));
  EXPECT_GE(answering.pings(), 3);
}

}  // namespace
}  // namespace dirbridge::testing
