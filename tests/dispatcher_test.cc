#include "connector_svc/dispatcher.h"

#include <stdlib.h>

#include "absl/strings/str_cat.h"

#include "absl/synchronization/notification.h"
#include "common/sealed_ekey.h"
#include "connector_svc/keys/file_key_store.h"
#include "connector_svc/ldap/fake_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dispatch_and_wait.h"
#include "tests/test_call.h"

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
    return DispatchAndWait(dispatcher_, req, timeout, &chunks_);
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


TEST_F(DispatcherTest, AuthenticateKeepsDirectoryErrorsAndDeadlines) {
  directory_.SetPassword("alice", "right");
  v1::CallRequest req;
  req.set_call_id(5);
  req.mutable_authenticate()->set_username("alice");
  req.mutable_authenticate()->set_password("right");
  // Past its deadline, a login is refused before the directory sees it.
  v1::CallResult late = Run(req, absl::ZeroDuration());
  EXPECT_EQ(late.code(), static_cast<int>(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(directory_.checked_passwords().empty());

  v1::CallResult ok = Run(req);
  ASSERT_EQ(ok.code(), 0) << ok.message();
  EXPECT_EQ(ok.call_id(), 5u);
  EXPECT_EQ(ok.authenticate().result(), v1::AUTH_RESULT_OK);
  EXPECT_EQ(ok.authenticate().user().username(), "alice");

  directory_.FailWith(absl::UnavailableError("ldap: no server answered"));
  v1::CallResult down = Run(req);
  EXPECT_EQ(down.code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_THAT(down.message(), HasSubstr("no server answered"));
  EXPECT_FALSE(down.has_authenticate());
}

v1::User BigUser(int i, size_t bytes) {
  v1::User u;
  u.set_dn(absl::StrCat("uid=u", i, ",dc=example,dc=com"));
  u.set_username(absl::StrCat("u", i));
  u.set_display_name(std::string(bytes, 'x'));
  return u;
}

v1::CallRequest SearchRequest(uint64_t id, uint32_t page_size) {
  v1::CallRequest req;
  req.set_call_id(id);
  req.mutable_search_users()->set_page_size(page_size);
  return req;
}

TEST_F(DispatcherTest, SearchChunksAreCutByBytesAsWellAsCount) {
  for (int i = 0; i < 10; ++i) directory_.AddUser(BigUser(i, 1000));
  // 8 KiB frames: chunks of at most 4 KiB, so one page of ten becomes four.
  auto call = std::make_shared<Call>(1, absl::Now() + absl::Seconds(5), 8192);
  call->AddCredit(100);
  TestCall search(dispatcher_, SearchRequest(1, 10), call);
  ASSERT_TRUE(search.WaitReply(absl::Seconds(5)));
  ASSERT_EQ(search.result().code(), 0) << search.result().message();
  int users = 0;
  for (const v1::ResultChunk& c : search.chunks()) {
    EXPECT_LE(c.search_users().ByteSizeLong(), 4096u);
    v1::ConnectorFrame frame;
    *frame.mutable_chunk() = c;
    EXPECT_LE(frame.ByteSizeLong(), 8192u);
    users += c.search_users().users_size();
  }
  EXPECT_EQ(users, 10);
  EXPECT_EQ(search.chunks().size(), 4u);  // 3 + 3 + 3 + 1 users of ~1 KiB
  // Each took a credit of its own.
  for (int i = 0; i < 96; ++i) EXPECT_TRUE(call->TryTakeCredit());
  EXPECT_FALSE(call->TryTakeCredit());
}

TEST_F(DispatcherTest, AUserHeavierThanAFrameFailsTheStreamByName) {
  directory_.AddUser(BigUser(1, 100));
  directory_.AddUser(BigUser(2, 5000));
  auto call = std::make_shared<Call>(1, absl::Now() + absl::Seconds(5), 8192);
  call->AddCredit(100);
  TestCall search(dispatcher_, SearchRequest(1, 1), call);
  ASSERT_TRUE(search.WaitReply(absl::Seconds(5)));
  EXPECT_EQ(search.result().code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(search.result().message(), HasSubstr("\"uid=u2,dc=example,dc=com\""));
  EXPECT_THAT(search.result().message(), HasSubstr("4096 bytes"));
  ASSERT_EQ(search.chunks().size(), 1u);  // the one before it
  EXPECT_EQ(search.chunks()[0].search_users().users(0).username(), "u1");

  // The same entry through GetUser.
  v1::CallRequest get;
  get.set_call_id(2);
  get.mutable_get_user()->set_username("u2");
  auto small = std::make_shared<Call>(2, absl::Now() + absl::Seconds(5), 8192);
  TestCall lookup(dispatcher_, get, small);
  ASSERT_TRUE(lookup.WaitReply(absl::Seconds(5)));
  EXPECT_EQ(lookup.result().code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(lookup.result().message(), HasSubstr("uid=u2,dc=example,dc=com"));
  EXPECT_FALSE(lookup.result().has_get_user());
}

TEST_F(DispatcherTest, UnaryAnswersOverTheBudgetAreRefused) {
  for (int i = 0; i < 200; ++i) {
    v1::Group g;
    g.set_dn(absl::StrCat("cn=group", i, ",ou=groups,dc=example,dc=com"));
    g.set_name(absl::StrCat("group", i));
    directory_.AddGroup(std::move(g));
  }
  v1::CallRequest req;
  req.set_call_id(3);
  req.mutable_list_groups();
  // Default frames: the answer fits.
  v1::CallResult fits = Run(req);
  ASSERT_EQ(fits.code(), 0) << fits.message();
  EXPECT_EQ(fits.list_groups().groups_size(), 200);
  auto call = std::make_shared<Call>(3, absl::Now() + absl::Seconds(5), 8192);
  TestCall list(dispatcher_, req, call);
  ASSERT_TRUE(list.WaitReply(absl::Seconds(5)));
  EXPECT_EQ(list.result().code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(list.result().message(), HasSubstr("4096 bytes"));
  EXPECT_LE(list.result().ByteSizeLong(), 4096u);
}

// Found by tests/fuzz/connector_calls_fuzzer: under a frame limit smaller
// than the refusal's own reason, the refusal was the frame over the limit.
TEST_F(DispatcherTest, ARefusalFitsEvenATinyFrameLimit) {
  v1::Group g;
  g.set_dn(std::string(500, 'g'));
  directory_.AddGroup(std::move(g));
  v1::CallRequest req;
  req.set_call_id(4);
  req.mutable_list_groups();
  auto call = std::make_shared<Call>(4, absl::Now() + absl::Seconds(5), 100);
  TestCall list(dispatcher_, req, call);
  ASSERT_TRUE(list.WaitReply(absl::Seconds(5)));
  EXPECT_EQ(list.result().code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(list.result().call_id(), 4u);
  v1::ConnectorFrame frame;
  *frame.mutable_result() = list.result();
  EXPECT_LE(frame.ByteSizeLong(), 100u);
}

// The refusal past ldap.max_streams never reaches a handler; it too must
// fit the cloud's frame limit, however small.
TEST_F(DispatcherTest, AMaxStreamsRefusalFitsEvenATinyFrameLimit) {
  directory_.AddUser(BigUser(1, 10));
  Dispatcher dispatcher(&directory_, 1, "tenant-1", key_, nullptr, 1);
  // A stream never granted a credit holds the only slot.
  auto stalled_call = std::make_shared<Call>(5, absl::Now() + absl::Seconds(30));
  TestCall stalled(dispatcher, SearchRequest(5, 1), stalled_call);
  auto tiny = std::make_shared<Call>(6, absl::Now() + absl::Seconds(30), 100);
  TestCall refused(dispatcher, SearchRequest(6, 1), tiny);
  ASSERT_TRUE(refused.WaitReply(absl::Seconds(5)));
  EXPECT_EQ(refused.result().code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(refused.result().call_id(), 6u);
  v1::ConnectorFrame frame;
  *frame.mutable_result() = refused.result();
  EXPECT_LE(frame.ByteSizeLong(), 100u);
  // The stalled stream ends: the dispatcher can then be destroyed.
  stalled.call().AddCredit(10);
  ASSERT_TRUE(stalled.WaitReply(absl::Seconds(5)));
  EXPECT_EQ(stalled.result().code(), 0) << stalled.result().message();
}

TEST_F(DispatcherTest, StreamsPastMaxStreamsAreRefusedAndLookupsGoOn) {
  directory_.AddUser(BigUser(1, 10));
  directory_.AddUser(BigUser(2, 10));
  Dispatcher dispatcher(&directory_, 1, "tenant-1", key_, nullptr, 2);
  // Two streams that are never granted a credit hold both stream slots.
  std::vector<std::unique_ptr<TestCall>> stalled;
  for (uint64_t id = 1; id <= 2; ++id) {
    auto call = std::make_shared<Call>(id, absl::Now() + absl::Seconds(30));
    stalled.push_back(std::make_unique<TestCall>(dispatcher, SearchRequest(id, 1), call));
  }
  auto third = std::make_shared<Call>(3, absl::Now() + absl::Seconds(30));
  TestCall refused(dispatcher, SearchRequest(3, 1), third);
  ASSERT_TRUE(refused.WaitReply(absl::Seconds(5)));
  EXPECT_EQ(refused.result().code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(refused.result().message(), HasSubstr("ldap.max_streams"));
  EXPECT_THAT(refused.result().message(), HasSubstr("2 SearchUsers streams"));
  // The one worker is still free for a lookup.
  v1::CallRequest get;
  get.set_call_id(4);
  get.mutable_get_user()->set_username("u1");
  v1::CallResult user = DispatchAndWait(dispatcher, get, absl::Seconds(5), nullptr,
                                        absl::Seconds(2));
  EXPECT_EQ(user.code(), 0) << user.message();
  // A stream that ends gives its slot back before its answer is seen.
  stalled[0]->call().Cancel();
  stalled[1]->call().AddCredit(10);
  ASSERT_TRUE(stalled[1]->WaitReply(absl::Seconds(5)));
  EXPECT_EQ(stalled[1]->result().code(), 0) << stalled[1]->result().message();
  EXPECT_FALSE(stalled[0]->replied());
  auto next = std::make_shared<Call>(5, absl::Now() + absl::Seconds(5));
  next->AddCredit(10);
  TestCall admitted(dispatcher, SearchRequest(5, 1), next);
  ASSERT_TRUE(admitted.WaitReply(absl::Seconds(5)));
  EXPECT_EQ(admitted.result().code(), 0) << admitted.result().message();
  EXPECT_EQ(admitted.chunks().size(), 2u);
}

// Ekey calls against a real KEK store in a fresh state dir.
class DispatcherEkeyTest : public DispatcherTest {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "dispatcher_ekey_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    absl::StatusOr<std::unique_ptr<FileKeyStore>> keys = FileKeyStore::Open(dir);
    ASSERT_TRUE(keys.ok()) << keys.status();
    keys_ = std::move(*keys);
    ekey_dispatcher_ =
        std::make_unique<Dispatcher>(&directory_, 2, "tenant-1", key_, keys_.get());
  }
  v1::CallResult Wrap(const std::string& tenant, const std::string& user) {
    v1::CallRequest req;
    req.set_call_id(1);
    req.mutable_wrap_new_ekey()->set_tenant_id(tenant);
    req.mutable_wrap_new_ekey()->set_user_id(user);
    req.mutable_wrap_new_ekey()->set_key_id("k1");
    return DispatchAndWait(*ekey_dispatcher_, req, absl::Seconds(5));
  }
  std::unique_ptr<FileKeyStore> keys_;
  std::unique_ptr<Dispatcher> ekey_dispatcher_;
};

TEST_F(DispatcherEkeyTest, WrappedEkeysSealToTheRecipientOnly) {
  v1::CallResult wrapped = Wrap("tenant-1", "u1");
  ASSERT_EQ(wrapped.code(), 0) << wrapped.message();
  EXPECT_EQ(wrapped.wrap_new_ekey().kek_version(), keys_->current_version());

  crypto::X25519KeyPair recipient = *crypto::GenerateX25519();
  v1::CallRequest req;
  req.set_call_id(2);
  v1::SealEkeysRequest* seal = req.mutable_seal_ekeys();
  seal->set_tenant_id("tenant-1");
  seal->set_recipient_public_key(recipient.public_key);
  v1::WrappedEkey* w = seal->add_ekeys();
  w->set_user_id("u1");
  w->set_key_id("k1");
  w->set_wrapped_ekey(wrapped.wrap_new_ekey().wrapped_ekey());
  v1::CallResult sealed = DispatchAndWait(*ekey_dispatcher_, req, absl::Seconds(5));
  ASSERT_EQ(sealed.code(), 0) << sealed.message();
  ASSERT_EQ(sealed.seal_ekeys().ekeys_size(), 1);
  absl::StatusOr<std::string> ekey =
      crypto::Open(recipient, sealed.seal_ekeys().ekeys(0).sealed_ekey(),
                   SealedEkeyAad("u1", "k1"), kSealedEkeyInfo);
  ASSERT_TRUE(ekey.ok()) << ekey.status();
  EXPECT_EQ(ekey->size(), 32u);

  // A wrapped ekey moved to another user fails the whole batch, by name.
  w->set_user_id("u2");
  v1::CallResult moved = DispatchAndWait(*ekey_dispatcher_, req, absl::Seconds(5));
  EXPECT_NE(moved.code(), 0);
  EXPECT_THAT(moved.message(), HasSubstr("\"u2\""));
  EXPECT_FALSE(moved.has_seal_ekeys());
}

TEST_F(DispatcherEkeyTest, AnotherTenantOrAMissingIdIsRefused) {
  EXPECT_EQ(Wrap("tenant-2", "u1").code(), static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Wrap("tenant-1", "").code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace dirbridge::connector
