// A misbehaving connector ends its own session, never the cloud.

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {
namespace {

class FramesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(slapd_.Start().ok());
    ASSERT_TRUE(cloud_.Start().ok());
    absl::StatusOr<Tenant> t = cloud_.CreateTenant("acme");
    ASSERT_TRUE(t.ok());
    tenant_ = *t;
    good_ = std::make_unique<ConnectorSvc>(&cloud_, &slapd_);
    ASSERT_TRUE(good_->Register(tenant_.token, "good").ok());
    {
      absl::Status st = RunUntilConnected(cloud_, tenant_.token, *good_);
      ASSERT_TRUE(st.ok()) << st;
    }
    credential_ = RegisterRogue();
  }

  // A second connector of the tenant whose credential the test holds.
  std::string RegisterRogue() {
    v1::CreateConnectorRequest creq;
    creq.set_name("rogue");
    v1::Connector c;
    EXPECT_TRUE(cloud_.admin().CreateConnector(Ctx(tenant_.token).get(), creq, &c).ok());
    rogue_id_ = c.connector_id();
    v1::GetRegistrationKeyRequest kreq;
    kreq.set_connector_id(c.connector_id());
    v1::GetRegistrationKeyResponse key;
    EXPECT_TRUE(cloud_.admin().GetRegistrationKey(Ctx(tenant_.token).get(), kreq, &key).ok());
    v1::RegisterRequest rreq;
    rreq.set_registration_key(key.registration_key());
    v1::RegisterResponse rresp;
    grpc::ClientContext ctx;
    EXPECT_TRUE(cloud_.tunnel().Register(&ctx, rreq, &rresp).ok());
    return rresp.credential();
  }

  // Sends the frames, then reads until the cloud ends the stream.
  grpc::Status SendFrames(const std::vector<v1::ConnectorFrame>& frames) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-dirbridge-connector-credential", credential_);
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    auto stream = cloud_.tunnel().Connect(&ctx);
    for (const auto& f : frames) {
      if (!stream->Write(f)) break;
    }
    v1::CloudFrame in;
    while (stream->Read(&in)) {
    }
    return stream->Finish();
  }

  void ExpectCloudStillServes() {
    v1::PingConnectorRequest req;
    req.set_connector_id(good_->connector_id());
    req.set_payload("still here");
    v1::PingConnectorResponse resp;
    grpc::Status st = cloud_.admin().PingConnector(Ctx(tenant_.token).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.payload(), "still here");
    absl::StatusOr<v1::Connector> good = cloud_.GetConnector(tenant_.token, good_->connector_id());
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(good->status(), v1::CONNECTOR_STATUS_CONNECTED);
  }

  static v1::ConnectorFrame Hello() {
    v1::ConnectorFrame f;
    f.mutable_hello()->set_protocol_revision(1);
    f.mutable_hello()->set_version("rogue");
    return f;
  }

  Slapd slapd_;
  CloudSvc cloud_;
  Tenant tenant_;
  std::unique_ptr<ConnectorSvc> good_;
  std::string credential_;
  std::string rogue_id_;
};

TEST_F(FramesTest, FirstFrameMustBeHello) {
  v1::ConnectorFrame pong;
  pong.mutable_pong()->set_seq(1);
  grpc::Status st = SendFrames({pong});
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  ExpectCloudStillServes();
}

TEST_F(FramesTest, HelloTwiceOrEmptyFrameEndsTheSession) {
  EXPECT_EQ(SendFrames({Hello(), Hello()}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(SendFrames({Hello(), v1::ConnectorFrame()}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ExpectCloudStillServes();
}

TEST_F(FramesTest, UnsupportedRevisionIsRefusedWithAHint) {
  v1::ConnectorFrame hello = Hello();
  hello.mutable_hello()->set_protocol_revision(0);
  grpc::Status st = SendFrames({hello});
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), ::testing::HasSubstr("upgrade"));
  ExpectCloudStillServes();
}

TEST_F(FramesTest, OversizedFrameEndsOnlyThatSession) {
  v1::ConnectorFrame big;
  big.mutable_result()->set_call_id(1);
  big.mutable_result()->set_message(std::string(20 << 20, 'x'));
  grpc::Status st = SendFrames({Hello(), big});
  EXPECT_FALSE(st.ok());
  ExpectCloudStillServes();
}

TEST_F(FramesTest, ResultForAnUnknownCallIsIgnored) {
  // A late answer to a call the cloud gave up on is normal, not an attack.
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-dirbridge-connector-credential", credential_);
  auto stream = cloud_.tunnel().Connect(&ctx);
  ASSERT_TRUE(stream->Write(Hello()));
  v1::CloudFrame settings;
  ASSERT_TRUE(stream->Read(&settings));
  EXPECT_TRUE(settings.has_settings());
  v1::ConnectorFrame late;
  late.mutable_result()->set_call_id(987654);
  ASSERT_TRUE(stream->Write(late));
  ASSERT_TRUE(cloud_.WaitForStatus(tenant_.token, rogue_id_, v1::CONNECTOR_STATUS_CONNECTED,
                                   absl::Seconds(5)));
  ctx.TryCancel();
  ExpectCloudStillServes();
}

TEST_F(FramesTest, BytesThatAreNoFrameEndOnlyThatSession) {
  grpc::GenericStub generic(grpc::CreateChannel(cloud_.tunnel_address(),
                                                grpc::InsecureChannelCredentials()));
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-dirbridge-connector-credential", credential_);
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  auto call = generic.PrepareCall(&ctx, "/dirbridge.v1.ConnectorTunnel/Connect", &cq);
  auto wait = [&cq](intptr_t want) {
    void* tag;
    bool ok;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), want);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(wait(1));
  // Field 1 (hello) as a length-delimited value that runs past the end.
  const char junk[] = "\x0a\xff\xff\xff\x0f garbage";
  grpc::Slice slice(junk, sizeof(junk) - 1);
  grpc::ByteBuffer buffer(&slice, 1);
  call->Write(buffer, reinterpret_cast<void*>(2));
  wait(2);
  // At most a Goaway comes back before the stream ends.
  int reads = 0;
  while (true) {
    grpc::ByteBuffer in;
    call->Read(&in, reinterpret_cast<void*>(3));
    if (!wait(3)) break;
    ASSERT_LT(++reads, 2);
  }
  grpc::Status st;
  call->Finish(&st, reinterpret_cast<void*>(4));
  wait(4);
  EXPECT_FALSE(st.ok());
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  ExpectCloudStillServes();
}

}  // namespace
}  // namespace dirbridge::testing
