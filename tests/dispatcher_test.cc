#include "connector_svc/dispatcher.h"

#include "absl/synchronization/notification.h"
#include "connector_svc/ldap/fake_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dirbridge::connector {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest()
      : key_(*crypto::GenerateX25519()), dispatcher_(&directory_, 4, "tenant-1", key_) {
    directory_.SetNamingContexts({{"dc=example,dc=com", "dc=other,dc=org"}, ""});
  }

  v1::CallResult Run(const v1::CallRequest& req, absl::Duration timeout = absl::Seconds(5)) {
    Call call(req.call_id(), absl::Now() + timeout);
    return dispatcher_.Handle(req, call, [this](v1::ResultChunk c) { chunks_.push_back(std::move(c)); });
  }

  FakeDirectory directory_;
  crypto::X25519KeyPair key_;
  Dispatcher dispatcher_;
  std::vector<v1::ResultChunk> chunks_;
};

TEST_F(DispatcherTest, EchoCarriesPayloadAndConnectorId) {
  dispatcher_.set_connector_id("c-1");
  v1::CallRequest req;
  req.set_call_id(7);
  req.mutable_echo()->set_payload("hi");
  v1::CallResult r = Run(req);
  EXPECT_EQ(r.call_id(), 7u);
  EXPECT_EQ(r.code(), 0);
  EXPECT_EQ(r.echo().payload(), "hi");
  EXPECT_EQ(r.echo().connector_id(), "c-1");
}

TEST_F(DispatcherTest, NamingContextsComeFromTheDirectory) {
  v1::CallRequest req;
  req.set_call_id(1);
  req.mutable_list_naming_contexts();
  v1::CallResult r = Run(req);
  ASSERT_EQ(r.code(), 0) << r.message();
  EXPECT_THAT(r.list_naming_contexts().naming_contexts(),
              ElementsAre("dc=example,dc=com", "dc=other,dc=org"));
}

TEST_F(DispatcherTest, DirectoryErrorsKeepTheirCode) {
  directory_.FailWith(absl::UnavailableError("ldap: no server answered"));
  v1::CallRequest req;
  req.set_call_id(1);
  req.mutable_list_naming_contexts();
  v1::CallResult r = Run(req);
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_THAT(r.message(), HasSubstr("no server answered"));
  EXPECT_FALSE(r.has_list_naming_contexts());
}

TEST_F(DispatcherTest, EmptyAndUnknownRequestsAreClearErrors) {
  v1::CallRequest empty;
  empty.set_call_id(3);
  EXPECT_EQ(Run(empty).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  v1::CallRequest keys;
  keys.set_call_id(4);
  keys.mutable_seal_ekeys();
  // This dispatcher was given no KEK store.
  EXPECT_EQ(Run(keys).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
}

TEST_F(DispatcherTest, PastDeadlineNeverReachesTheDirectory) {
  directory_.FailWith(absl::InternalError("must not be called"));
  v1::CallRequest req;
  req.set_call_id(1);
  req.mutable_list_naming_contexts();
  v1::CallResult r = Run(req, absl::ZeroDuration());
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(DispatcherTest, CancelledCallSendsNoReply) {
  directory_.Hang(true);
  v1::CallRequest req;
  req.set_call_id(9);
  req.mutable_list_naming_contexts();
  auto call = std::make_shared<Call>(9, absl::Now() + absl::Seconds(30));
  absl::Notification replied;
  dispatcher_.Dispatch(req, call, [&](v1::CallResult) { replied.Notify(); },
                       [](v1::ResultChunk) {});
  call->Cancel();
  // A reply after a cancel would be written to a call the cloud forgot.
  EXPECT_FALSE(replied.WaitForNotificationWithTimeout(absl::Milliseconds(300)));
  directory_.Hang(false);
}

TEST_F(DispatcherTest, CreditsBlockUntilGrantedOrCancelled) {
  Call call(1, absl::Now() + absl::Seconds(5));
  call.AddCredit(1);
  EXPECT_TRUE(call.TakeCredit());
  absl::Notification took;
  std::thread t([&] {
    if (call.TakeCredit()) took.Notify();
  });
  EXPECT_FALSE(took.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
  call.AddCredit(1);
  EXPECT_TRUE(took.WaitForNotificationWithTimeout(absl::Seconds(5)));
  t.join();
  call.Cancel();
  EXPECT_FALSE(call.TakeCredit());
}

}  // namespace
}  // namespace dirbridge::connector
