// cloud::Router driven directly, over scripted connectors of a real
// SessionRegistry: which session a call goes to, what the backend hears
// when none can take it, retries, cancels, deadlines and the drain.

#include <memory>
#include <string>

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

cloud::RouteOptions Pinned(const std::string& connector_id) {
  cloud::RouteOptions o;
  o.connector_id = connector_id;
  return o;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c1_ = std::make_unique<ScriptedConnector>(cloud_, cloud_.AddConnector("c1"));
    c2_ = std::make_unique<ScriptedConnector>(cloud_, cloud_.AddConnector("c2"));
    ASSERT_TRUE(cloud_.WaitConnected("c1", absl::Seconds(10)));
    ASSERT_TRUE(cloud_.WaitConnected("c2", absl::Seconds(10)));
  }

  std::shared_ptr<cloud::RoutedCall> Call(const std::string& payload, CallOutcome& outcome,
                                          const cloud::RouteOptions& options = {}) {
    return cloud_.router().Call(cloud_.tenant_id(), Echo(payload), options,
                                outcome.Handlers());
  }

  int InFlight(const std::string& connector_id) {
    std::shared_ptr<cloud::Session> s = cloud_.registry().Find(connector_id);
    return s ? s->InFlight() : -1;
  }

  static void AnswerWithPayload(ScriptedConnector& c, const v1::CallRequest& call) {
    c.Answer(call.call_id(), [&](v1::CallResult& r) {
      r.mutable_echo()->set_payload(call.echo().payload());
    });
  }

  InProcessCloud cloud_;
  std::unique_ptr<ScriptedConnector> c1_, c2_;
};

// Calls held unanswered on c1 make c2 the least loaded: the unpinned
// calls go there, even when c1 came first.
TEST_F(RouterTest, ACallGoesToTheConnectorWithTheFewestInFlight) {
  CallOutcome held1, held2, free1, free2;
  Call("held-1", held1, Pinned("c1"));
  Call("free-1", free1);  // c1 1, c2 0
  Call("held-2", held2, Pinned("c1"));
  Call("free-2", free2);  // c1 2, c2 1
  EXPECT_EQ(InFlight("c1"), 2);
  EXPECT_EQ(InFlight("c2"), 2);
  for (const char* want : {"free-1", "free-2"}) {
    std::optional<v1::CallRequest> got = c2_->NextCall(absl::Seconds(10));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->echo().payload(), want);
    AnswerWithPayload(*c2_, *got);
  }
  for (CallOutcome* o : {&free1, &free2}) {
    auto r = o->Wait();
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->ok()) << r->status();
  }
}

// Pinned calls go to their connector however loaded it is; a pin to a
// connector that is not connected fails at once and names it.
TEST_F(RouterTest, AConnectorIdPinsTheCall) {
  CallOutcome a, b, c;
  Call("a", a, Pinned("c2"));
  Call("b", b, Pinned("c2"));
  Call("c", c, Pinned("c2"));
  EXPECT_EQ(InFlight("c2"), 3);
  EXPECT_EQ(InFlight("c1"), 0);

  CallOutcome absent;
  Call("x", absent, Pinned("c9"));
  auto r = absent.Wait(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value()) << "on_done should run before Call returns";
  EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r->status().message(), HasSubstr("connector c9 is not connected"));
}

// A tenant's calls are only ever carried by its own connectors, pinned or
// not, even when another tenant's connector is idle.
TEST_F(RouterTest, CallsNeverCrossTenants) {
  cloud_.AddTenant("tenant-2");
  ScriptedConnector other(cloud_, cloud_.AddConnector("t2c", "tenant-2"));
  ASSERT_TRUE(cloud_.WaitConnected("t2c", absl::Seconds(10)));

  CallOutcome outcomes[6];
  for (CallOutcome& o : outcomes) Call("mine", o);
  EXPECT_EQ(InFlight("c1") + InFlight("c2"), 6);
  EXPECT_EQ(InFlight("t2c"), 0);

  CallOutcome pinned;
  Call("pinned across", pinned, Pinned("t2c"));
  auto r = pinned.Wait(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(InFlight("t2c"), 0);

  // And the other way round: tenant-2's call goes to t2c alone.
  CallOutcome theirs;
  cloud_.router().Call("tenant-2", Echo("theirs"), {}, theirs.Handlers());
  std::optional<v1::CallRequest> got = other.NextCall(absl::Seconds(10));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->echo().payload(), "theirs");
  EXPECT_EQ(InFlight("c1") + InFlight("c2"), 6);
  EXPECT_EQ(other.Received(v1::CloudFrame::kCall).size(), 1u);
}

TEST_F(RouterTest, NoConnectorFailsAtOnceWithAHint) {
  cloud_.AddTenant("tenant-2");  // has no connector
  CallOutcome o;
  cloud_.router().Call("tenant-2", Echo("x"), {}, o.Handlers());
  auto r = o.Wait(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value()) << "on_done should run before Call returns";
  EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r->status().message(), HasSubstr("Admin.ListConnectors"));
  EXPECT_EQ(o.done_count(), 1);
}

// c2 carries a held call, so the next one goes to c1; c1 then drops it.
class RouterRetryTest : public RouterTest {
 protected:
  void SetUp() override {
    RouterTest::SetUp();
    Call("keeps c2 busy", busy_, Pinned("c2"));
    ASSERT_TRUE(c2_->NextCall(absl::Seconds(10)).has_value());
  }
  CallOutcome busy_;
};

TEST_F(RouterRetryTest, AnIdempotentCallIsRetriedOnceOnAnotherConnector) {
  CallOutcome o;
  cloud::RouteOptions options;
  options.idempotent = true;
  Call("lookup", o, options);
  std::optional<v1::CallRequest> first = c1_->NextCall(absl::Seconds(10));
  ASSERT_TRUE(first.has_value());
  c1_->Close();  // drops the call mid-flight

  std::optional<v1::CallRequest> retry = c2_->NextCall(absl::Seconds(10));
  ASSERT_TRUE(retry.has_value()) << "the call was not retried on c2";
  EXPECT_EQ(retry->echo().payload(), "lookup");
  EXPECT_EQ(o.done_count(), 0) << "the drop reached the backend";
  AnswerWithPayload(*c2_, *retry);
  auto r = o.Wait();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok()) << r->status();
  EXPECT_EQ((*r)->echo().payload(), "lookup");
  EXPECT_EQ(o.done_count(), 1);
}

TEST_F(RouterRetryTest, ANonIdempotentCallFailsWhenItsConnectorDrops) {
  CallOutcome o;
  Call("authenticate", o);
  ASSERT_TRUE(c1_->NextCall(absl::Seconds(10)).has_value());
  c1_->Close();
  auto r = o.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r->status().message(), HasSubstr("c1"));
  EXPECT_EQ(InFlight("c2"), 1) << "only the held call: nothing was retried";
  EXPECT_EQ(c2_->Received(v1::CloudFrame::kCall).size(), 1u);
}

// An idempotent call whose retry also drops fails: once, not for ever.
TEST_F(RouterRetryTest, AnIdempotentCallIsRetriedOnlyOnce) {
  CallOutcome o;
  cloud::RouteOptions options;
  options.idempotent = true;
  Call("lookup", o, options);
  ASSERT_TRUE(c1_->NextCall(absl::Seconds(10)).has_value());
  c1_->Close();
  ASSERT_TRUE(c2_->NextCall(absl::Seconds(10)).has_value());
  c2_->Close();
  auto r = o.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(o.done_count(), 1);
}

TEST_F(RouterTest, CancelBeforeTheAnswerTellsTheConnectorAndEndsTheCallOnce) {
  CallOutcome o;
  auto call = Call("slow", o, Pinned("c1"));
  std::optional<v1::CallRequest> got = c1_->NextCall(absl::Seconds(10));
  ASSERT_TRUE(got.has_value());
  call->Cancel(absl::CancelledError("the backend gave up"));
  auto r = o.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(r->status().message(), HasSubstr("the backend gave up"));
  ASSERT_TRUE(c1_->WaitReceived(v1::CloudFrame::kCancel, 1, absl::Seconds(10)));
  EXPECT_EQ(c1_->Received(v1::CloudFrame::kCancel)[0].cancel().call_id(), got->call_id());

  // The connector's late answer, then a call behind it on the same stream:
  // once that one is answered, the late one has been read and dropped.
  AnswerWithPayload(*c1_, *got);
  call->Cancel(absl::CancelledError("again"));
  CallOutcome after;
  Call("after", after, Pinned("c1"));
  std::optional<v1::CallRequest> next = c1_->NextCall(absl::Seconds(10));
  ASSERT_TRUE(next.has_value());
  AnswerWithPayload(*c1_, *next);
  ASSERT_TRUE(after.Wait().has_value());
  EXPECT_EQ(o.done_count(), 1);
  EXPECT_EQ(o.Wait()->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(c1_->Received(v1::CloudFrame::kCancel).size(), 1u);
}

TEST_F(RouterTest, CancelAfterTheAnswerSendsNothing) {
  CallOutcome o;
  auto call = Call("quick", o, Pinned("c1"));
  std::optional<v1::CallRequest> got = c1_->NextCall(absl::Seconds(10));
  ASSERT_TRUE(got.has_value());
  AnswerWithPayload(*c1_, *got);
  auto r = o.Wait();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok());
  call->Cancel(absl::CancelledError("too late"));
  // Frames keep their order: a Cancel sent now would arrive before this call.
  CallOutcome barrier;
  Call("barrier", barrier, Pinned("c1"));
  ASSERT_TRUE(c1_->NextCall(absl::Seconds(10)).has_value());
  EXPECT_TRUE(c1_->Received(v1::CloudFrame::kCancel).empty());
  EXPECT_EQ(o.done_count(), 1);
  EXPECT_TRUE(o.Wait()->ok());
}

TEST_F(RouterTest, APassedDeadlineFailsWithoutAFrame) {
  CallOutcome o;
  cloud::RouteOptions options = Pinned("c1");
  options.deadline = absl::Now() - absl::Seconds(1);
  Call("late", o, options);
  auto r = o.Wait(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kDeadlineExceeded);

  // The first call c1 sees is the one after.
  CallOutcome next;
  options.deadline = absl::Now() + absl::Seconds(30);
  Call("in time", next, options);
  std::optional<v1::CallRequest> got = c1_->NextCall(absl::Seconds(10));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->echo().payload(), "in time");
  // The connector hears the time left, relative.
  EXPECT_GT(got->timeout_ms(), 0u);
  EXPECT_LE(got->timeout_ms(), 30000u);
  EXPECT_EQ(c1_->Received(v1::CloudFrame::kCall).size(), 1u);
}

TEST_F(RouterTest, StopAcceptingRefusesNewCallsAndWaitIdleWaitsForTheRest) {
  CallOutcome in_flight;
  Call("in flight", in_flight, Pinned("c1"));
  std::optional<v1::CallRequest> got = c1_->NextCall(absl::Seconds(10));
  ASSERT_TRUE(got.has_value());

  cloud_.router().StopAccepting();
  CallOutcome refused;
  Call("new", refused);
  auto r = refused.Wait(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r->status().message(), HasSubstr("shutting down"));
  EXPECT_EQ(InFlight("c2"), 0);

  EXPECT_FALSE(cloud_.router().WaitIdle(absl::Now() + absl::Milliseconds(50)))
      << "a call is still in flight";
  AnswerWithPayload(*c1_, *got);
  EXPECT_TRUE(cloud_.router().WaitIdle(absl::Now() + absl::Seconds(10)));
  auto answered = in_flight.Wait(absl::ZeroDuration());
  ASSERT_TRUE(answered.has_value());
  EXPECT_TRUE(answered->ok()) << answered->status();
}

// A target one peer hop away whose holder answered "not sent" before
// StartCall returned (a link's answer can beat it), with an id that is
// also a local session's.
class NotSentAtOnce : public cloud::CallTarget {
 public:
  absl::StatusOr<uint64_t> StartCall(v1::CallRequest, cloud::CallHandlers handlers) override {
    handlers.on_done(cloud::NotSentError("the holder did not take it"));
    return uint64_t{1};
  }
  void CancelCall(uint64_t, const absl::Status&) override {}
  void GrantCredit(uint64_t, uint32_t) override {}
  int InFlight() const override { return 0; }
  bool TakingCalls() const override { return true; }
  const std::string& target_connector_id() const override { return connector_; }
  const std::string& replica_id() const override { return replica_; }

 private:
  const std::string connector_ = "c-remote";
  const std::string replica_ = "r-other";
};

class OneRemoteTarget : public cloud::RemoteTargets {
 public:
  std::vector<std::shared_ptr<cloud::CallTarget>> For(const std::string&) override {
    return {target_};
  }
  void Unreachable(const std::string&) override {}
  bool Holds(const std::string&, const std::string&) override { return false; }

 private:
  std::shared_ptr<cloud::CallTarget> target_ = std::make_shared<NotSentAtOnce>();
};

// The retry on a local connector is the call from then on: a cancel goes
// to it, by its own id, and never to the unrelated call that has the id
// the remote target returned.
TEST_F(RouterTest, ANotSentAnswerBeforeStartCallReturnsLeavesTheRetryCancellable) {
  OneRemoteTarget remote;
  cloud::Router router(&cloud_.registry(), {}, &remote);
  CallOutcome held1, held2;
  router.Call(cloud_.tenant_id(), Echo("held-1"), Pinned("c1"), held1.Handlers());
  router.Call(cloud_.tenant_id(), Echo("held-2"), Pinned("c2"), held2.Handlers());
  std::optional<v1::CallRequest> first1 = c1_->NextCall(absl::Seconds(10));
  std::optional<v1::CallRequest> first2 = c2_->NextCall(absl::Seconds(10));
  ASSERT_TRUE(first1.has_value());
  ASSERT_TRUE(first2.has_value());
  ASSERT_EQ(first1->call_id(), 1u);  // the id the remote target answers with
  // Both local connectors busy: the idle remote one is tried first.
  CallOutcome retried;
  std::shared_ptr<cloud::RoutedCall> call =
      router.Call(cloud_.tenant_id(), Echo("retried"), {}, retried.Handlers());
  ScriptedConnector* got_it = nullptr;
  std::optional<v1::CallRequest> got;
  for (ScriptedConnector* c : {c1_.get(), c2_.get()}) {
    if ((got = c->NextCall(absl::Milliseconds(500)))) {
      got_it = c;
      break;
    }
  }
  ASSERT_NE(got_it, nullptr) << "the call was not sent again after the not-sent answer";
  EXPECT_EQ(got->echo().payload(), "retried");
  call->Cancel(absl::CancelledError("the backend gave up"));
  std::optional<absl::StatusOr<v1::CallResult>> r = retried.Wait(absl::Seconds(5));
  ASSERT_TRUE(r.has_value()) << "the cancel did not reach the retried call";
  EXPECT_EQ(r->status().code(), absl::StatusCode::kCancelled);
  ASSERT_TRUE(got_it->WaitReceived(v1::CloudFrame::kCancel, 1, absl::Seconds(10)));
  EXPECT_EQ(got_it->Received(v1::CloudFrame::kCancel)[0].cancel().call_id(), got->call_id());
  EXPECT_EQ(held1.done_count(), 0);
  EXPECT_EQ(held2.done_count(), 0);
  // Ended before this router goes: their answers come back through it.
  AnswerWithPayload(*c1_, *first1);
  AnswerWithPayload(*c2_, *first2);
  ASSERT_TRUE(held1.Wait().has_value());
  ASSERT_TRUE(held2.Wait().has_value());
}

}  // namespace
}  // namespace dirbridge::testing
