#include "tests/bench/fake_connectors.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <atomic>
#include <deque>

#include "absl/synchronization/mutex.h"
#include "common/tunnel_metadata.h"
#include "dirbridge/v1/tunnel.grpc.pb.h"

namespace dirbridge::bench {
namespace {

class FakeStream : public grpc::ClientBidiReactor<v1::ConnectorFrame, v1::CloudFrame> {
 public:
  FakeStream(v1::ConnectorTunnel::Stub* stub, const std::string& credential,
             std::atomic<int>* accepted)
      : accepted_(accepted) {
    ctx_.AddMetadata(kConnectorCredentialHeader, credential);
    stub->async()->Connect(&ctx_, this);
    v1::ConnectorFrame hello;
    hello.mutable_hello()->set_protocol_revision(1);
    hello.mutable_hello()->set_min_protocol_revision(1);
    hello.mutable_hello()->set_version("bench");
    hello.mutable_hello()->set_hostname("bench");
    Send(std::move(hello));
    StartRead(&in_);
    StartCall();
  }
  void Cancel() { ctx_.TryCancel(); }
  bool done() const { return done_.load(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    v1::ConnectorFrame out;
    if (in_.has_settings()) {
      accepted_->fetch_add(1);
    } else if (in_.has_ping()) {
      out.mutable_pong()->set_seq(in_.ping().seq());
      Send(std::move(out));
    } else if (in_.has_call()) {
      v1::CallResult* r = out.mutable_result();
      r->set_call_id(in_.call().call_id());
      r->mutable_echo()->set_payload(in_.call().echo().payload());
      Send(std::move(out));
    }
    StartRead(&in_);
  }
  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    outbox_.pop_front();
    if (ok && !outbox_.empty()) {
      StartWrite(&outbox_.front());
    } else {
      if (!ok) outbox_.clear();
      writing_ = false;
    }
  }
  void OnDone(const grpc::Status&) override { done_ = true; }

 private:
  void Send(v1::ConnectorFrame f) {
    absl::MutexLock lock(&mu_);
    outbox_.push_back(std::move(f));
    if (!writing_) {
      writing_ = true;
      StartWrite(&outbox_.front());
    }
  }
  grpc::ClientContext ctx_;
  v1::CloudFrame in_;
  std::atomic<int>* accepted_;
  std::atomic<bool> done_{false};
  absl::Mutex mu_;
  std::deque<v1::ConnectorFrame> outbox_;
  bool writing_ = false;
};

}  // namespace

struct FakeConnectors::Impl {
  std::vector<std::unique_ptr<v1::ConnectorTunnel::Stub>> stubs;
  std::vector<std::unique_ptr<FakeStream>> streams;
  std::atomic<int> accepted{0};
};

FakeConnectors::FakeConnectors() : impl_(std::make_unique<Impl>()) {}
FakeConnectors::~FakeConnectors() { CloseAll(); }

absl::Status FakeConnectors::Open(const std::string& address,
                                  const std::vector<std::string>& credentials) {
  for (size_t i = 0; i < credentials.size(); ++i) {
    grpc::ChannelArguments args;
    // A distinct argument per channel: no subchannel sharing, one TCP
    // connection per connector, as in the field.
    args.SetInt("dirbridge.bench_channel", static_cast<int>(i));
    impl_->stubs.push_back(v1::ConnectorTunnel::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
    impl_->streams.push_back(
        std::make_unique<FakeStream>(impl_->stubs.back().get(), credentials[i], &impl_->accepted));
  }
  return absl::OkStatus();
}

int FakeConnectors::accepted() const { return impl_->accepted.load(); }

void FakeConnectors::CloseAll() {
  for (auto& s : impl_->streams) s->Cancel();
  for (auto& s : impl_->streams) {
    while (!s->done()) absl::SleepFor(absl::Milliseconds(1));
  }
  impl_->streams.clear();
  impl_->stubs.clear();
}

}  // namespace dirbridge::bench
