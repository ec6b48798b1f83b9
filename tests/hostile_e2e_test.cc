// A hostile customer: a connector with a real registered credential that
// speaks the tunnel badly on purpose, against a real cloud_svc. Each test
// asserts on what *another* tenant sees and on cloud_svc's own health.

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud/in_process_cloud.h"
#include "dirbridge/v1/mappings.grpc.pb.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

uint64_t FileBytes(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

uint64_t RssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      uint64_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

v1::ConnectorFrame HelloFrame(const std::string& hostname = "rogue-host") {
  v1::ConnectorFrame f;
  *f.mutable_hello() = ScriptedConnector::DefaultHello().hello();
  f.mutable_hello()->set_hostname(hostname);
  return f;
}

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CloudSvc::Options cloud;
    cloud.extra_flags = {"--call_timeout=2s"};
    ASSERT_TRUE(stack_.Start({}, cloud).ok());
    ASSERT_TRUE(stack_.RunConnector().ok());
    absl::StatusOr<Tenant> mallory = stack_.cloud.CreateTenant("mallory");
    ASSERT_TRUE(mallory.ok());
    mallory_ = *mallory;
  }

  // A connector of `tenant` and its tunnel credential, registered for real.
  std::pair<std::string, std::string> Register(const Tenant& tenant, const std::string& name) {
    v1::CreateConnectorRequest creq;
    creq.set_name(name);
    v1::Connector c;
    EXPECT_TRUE(stack_.cloud.admin().CreateConnector(Ctx(tenant.token).get(), creq, &c).ok());
    return {c.connector_id(), Reregister(tenant, c.connector_id())};
  }

  std::string Reregister(const Tenant& tenant, const std::string& connector_id) {
    v1::GetRegistrationKeyRequest kreq;
    kreq.set_connector_id(connector_id);
    v1::GetRegistrationKeyResponse key;
    EXPECT_TRUE(
        stack_.cloud.admin().GetRegistrationKey(Ctx(tenant.token).get(), kreq, &key).ok());
    v1::RegisterRequest rreq;
    rreq.set_registration_key(key.registration_key());
    v1::RegisterResponse rresp;
    grpc::ClientContext ctx;
    grpc::Status st = stack_.cloud.tunnel().Register(&ctx, rreq, &rresp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return rresp.credential();
  }

  // The honest tenant's lookups still work, on time.
  void ExpectAcmeServed() {
    for (int i = 0; i < 5; ++i) {
      v1::GetUserRequest req;
      req.set_username("user00001");
      v1::User user;
      absl::Time start = absl::Now();
      grpc::Status st =
          stack_.cloud.directory().GetUser(Ctx(stack_.tenant.token).get(), req, &user);
      ASSERT_TRUE(st.ok()) << st.error_message();
      EXPECT_EQ(user.username(), "user00001");
      EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    }
    EXPECT_TRUE(stack_.cloud.process().running());
  }

  std::unique_ptr<ScriptedConnector> Stream(const std::string& credential,
                                            std::optional<v1::ConnectorFrame> first) {
    return std::make_unique<ScriptedConnector>(stack_.cloud.tunnel(), credential,
                                               std::move(first));
  }

  Stack stack_;
  Tenant mallory_;
};

// Deleted, yet serving: a stream opened before DeleteConnector and left
// silent must not be served when it says Hello afterwards.
TEST_F(HostileTest, DeletingAConnectorEndsEveryStreamOfItHelloOrNot) {
  auto [rogue_id, credential] = Register(stack_.tenant, "rogue");
  auto live = Stream(credential, HelloFrame());
  ASSERT_TRUE(stack_.cloud.WaitForStatus(stack_.tenant.token, rogue_id,
                                         v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(10)));
  auto silent = Stream(credential, std::nullopt);
  ASSERT_TRUE(live->WaitReceived(v1::CloudFrame::kSettings, 1, absl::Seconds(5)));

  v1::DeleteConnectorRequest del;
  del.set_connector_id(rogue_id);
  v1::DeleteConnectorResponse dresp;
  ASSERT_TRUE(stack_.cloud.admin().DeleteConnector(Ctx(stack_.tenant.token).get(), del, &dresp).ok());

  std::optional<grpc::Status> ended = live->WaitEnded(absl::Seconds(5));
  ASSERT_TRUE(ended.has_value()) << "the deleted connector's session was not closed";
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::PERMISSION_DENIED);
  silent->Send(HelloFrame());
  ended = silent->WaitEnded(absl::Seconds(5));
  ASSERT_TRUE(ended.has_value()) << "a silent stream of a deleted connector lived on";
  EXPECT_THAT(ended->error_code(), AnyOf(grpc::StatusCode::PERMISSION_DENIED,
                                         grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_TRUE(silent->Received(v1::CloudFrame::kSettings).empty());
  ExpectAcmeServed();
  EXPECT_TRUE(live->Received(v1::CloudFrame::kCall).empty());
  EXPECT_TRUE(silent->Received(v1::CloudFrame::kCall).empty());
  // And it cannot come back with the old credential.
  auto again = Stream(credential, HelloFrame());
  ended = again->WaitEnded(absl::Seconds(5));
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(HostileTest, RegisteringAgainEndsTheOldCredentialsStreams) {
  auto [rogue_id, credential] = Register(mallory_, "rogue");
  auto old_stream = Stream(credential, HelloFrame());
  ASSERT_TRUE(old_stream->WaitReceived(v1::CloudFrame::kSettings, 1, absl::Seconds(5)));
  auto silent = Stream(credential, std::nullopt);
  std::string fresh = Reregister(mallory_, rogue_id);
  ASSERT_NE(fresh, credential);
  for (auto* s : {old_stream.get(), silent.get()}) {
    std::optional<grpc::Status> ended = s->WaitEnded(absl::Seconds(5));
    ASSERT_TRUE(ended.has_value()) << "a stream of the replaced credential lived on";
    EXPECT_EQ(ended->error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  auto renewed = Stream(fresh, HelloFrame());
  EXPECT_TRUE(renewed->WaitReceived(v1::CloudFrame::kSettings, 1, absl::Seconds(5)));
}

// Disk and logs: Hellos with 8 MiB hostnames were stored, copied into
// alerts and logged whole.
TEST_F(HostileTest, OversizedHelloStringsEndTheSessionAndCostNothing) {
  auto [rogue_id, credential] = Register(mallory_, "rogue");
  uint64_t data_before = DirBytes(stack_.cloud.data_dir());
  uint64_t log_before = FileBytes(stack_.cloud.process().log_path());
  for (int i = 0; i < 20; ++i) {
    auto s = Stream(credential, HelloFrame(std::string(8 << 20, 'h')));
    std::optional<grpc::Status> ended = s->WaitEnded(absl::Seconds(10));
    ASSERT_TRUE(ended.has_value());
    EXPECT_EQ(ended->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ended->error_message(), HasSubstr("Hello.hostname is 8388608 bytes"));
    EXPECT_THAT(ended->error_message(), HasSubstr("limit is 255"));
  }
  EXPECT_LT(DirBytes(stack_.cloud.data_dir()), data_before + (1 << 20));
  EXPECT_LT(FileBytes(stack_.cloud.process().log_path()), log_before + (1 << 20));
  absl::StatusOr<v1::Connector> rogue = stack_.cloud.GetConnector(mallory_.token, rogue_id);
  ASSERT_TRUE(rogue.ok());
  EXPECT_LE(rogue->hostname().size(), 255u);
  ExpectAcmeServed();
}

// Memory: chunks sent without credit were queued anyway (2 GiB in 7 s).
TEST_F(HostileTest, AChunkBeyondItsCreditEndsTheSession) {
  auto [rogue_id, credential] = Register(mallory_, "rogue");
  auto rogue = Stream(credential, HelloFrame());
  ASSERT_TRUE(rogue->WaitReceived(v1::CloudFrame::kSettings, 1, absl::Seconds(5)));
  uint64_t credits = rogue->Received(v1::CloudFrame::kSettings)[0].settings().initial_stream_credits();
  uint64_t rss_before = RssBytes(stack_.cloud.process().pid());

  // Mallory's own backend asks; it reads nothing.
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + mallory_.token);
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::SearchUsersRequest sreq;
  sreq.set_base_dn("dc=example,dc=com");
  auto reader = stack_.cloud.directory().SearchUsers(&ctx, sreq);
  std::optional<v1::CallRequest> call = rogue->NextCall(absl::Seconds(10));
  ASSERT_TRUE(call.has_value());
  ASSERT_EQ(call->request_case(), v1::CallRequest::kSearchUsers);

  v1::SearchUsersResponse big;
  v1::User* u = big.add_users();
  u->set_id("x");
  u->set_display_name(std::string(1 << 20, 'd'));
  int sent = 0;
  for (; sent < 200; ++sent) {
    if (!rogue->SendChunk(call->call_id(), big)) break;
  }
  std::optional<grpc::Status> ended = rogue->WaitEnded(absl::Seconds(10));
  ASSERT_TRUE(ended.has_value()) << "chunks beyond credit did not end the session";
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ended->error_message(), HasSubstr("beyond its credit"));
  EXPECT_GT(credits, 0u);
  // What the cloud holds is the credit's worth, not what was sent.
  EXPECT_LT(RssBytes(stack_.cloud.process().pid()), rss_before + (150u << 20));
  ctx.TryCancel();
  ExpectAcmeServed();
}

// The cloud owns a deadline for every call: a connector that takes a call
// and never answers frees its slot at --call_timeout, and is told.
TEST_F(HostileTest, ACallNobodyAnswersEndsAtTheCloudsDeadline) {
  auto [rogue_id, credential] = Register(mallory_, "rogue");
  auto rogue = Stream(credential, HelloFrame());
  ASSERT_TRUE(rogue->WaitReceived(v1::CloudFrame::kSettings, 1, absl::Seconds(5)));
  grpc::ClientContext ctx;  // no deadline from the backend
  ctx.AddMetadata("authorization", "Bearer " + mallory_.token);
  v1::GetUserRequest req;
  req.set_username("anyone");
  v1::User user;
  absl::Time start = absl::Now();
  grpc::Status st = stack_.cloud.directory().GetUser(&ctx, req, &user);
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("--call_timeout"));
  EXPECT_GE(took, absl::Milliseconds(1500));
  EXPECT_LT(took, absl::Seconds(6));
  ASSERT_TRUE(rogue->WaitReceived(v1::CloudFrame::kCancel, 1, absl::Seconds(5)))
      << "the connector was never told to stop";
  std::vector<v1::CloudFrame> calls = rogue->Received(v1::CloudFrame::kCall);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(rogue->Received(v1::CloudFrame::kCancel)[0].cancel().call_id(),
            calls[0].call().call_id());
  ExpectAcmeServed();
}

// Stalled imports for everyone: a connector that accepts SearchUsers and
// never answers (while it answers pings) held every import worker, and
// another tenant's import timed out with nothing imported.
TEST_F(HostileTest, AStalledConnectorHoldsOnlyItsTenantsShareOfImports) {
  auto [rogue_id, credential] = Register(mallory_, "rogue");
  auto rogue = Stream(credential, HelloFrame());  // answers pings, never a call
  ASSERT_TRUE(rogue->WaitReceived(v1::CloudFrame::kSettings, 1, absl::Seconds(5)));
  auto mappings = v1::Mappings::NewStub(stack_.cloud.channel());
  auto create = [&](const Tenant& t, const std::string& name) {
    v1::CreateMappingRequest req;
    req.set_name(name);
    req.set_base_dn("dc=example,dc=com");
    v1::Mapping m;
    grpc::Status st = mappings->CreateMapping(Ctx(t.token).get(), req, &m);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return m.mapping_id();
  };
  // Mallory asks for more imports than there are import workers.
  constexpr int kStalled = 10;
  std::vector<std::thread> stalled;
  std::atomic<int> refused{0};
  for (int i = 0; i < kStalled; ++i) {
    std::string id = create(mallory_, "m" + std::to_string(i));
    stalled.emplace_back([&, id] {
      v1::ImportUsersRequest req;
      req.set_mapping_id(id);
      v1::ImportReport report;
      grpc::Status st = mappings->ImportUsers(Ctx(mallory_.token, absl::Seconds(3)).get(), req,
                                              &report);
      if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++refused;
    });
  }
  ASSERT_TRUE(rogue->WaitReceived(v1::CloudFrame::kCall, 1, absl::Seconds(10)));
  // Acme's import, with a deadline an honest caller would use.
  std::string acme_mapping = create(stack_.tenant, "everyone");
  v1::ImportUsersRequest req;
  req.set_mapping_id(acme_mapping);
  v1::ImportReport report;
  absl::Time start = absl::Now();
  grpc::Status st =
      mappings->ImportUsers(Ctx(stack_.tenant.token, absl::Seconds(30)).get(), req, &report);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(report.complete());
  EXPECT_EQ(report.added(), static_cast<uint64_t>(stack_.slapd->options().users));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  for (std::thread& t : stalled) t.join();
  // Mallory's share is bounded: most of its imports were refused at once.
  EXPECT_GE(refused.load(), kStalled - 3);
  EXPECT_LE(rogue->Received(v1::CloudFrame::kCall).size(), 3u);
  ExpectAcmeServed();
}

}  // namespace
}  // namespace dirbridge::testing
