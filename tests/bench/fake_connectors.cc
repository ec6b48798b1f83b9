#include "tests/bench/fake_connectors.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <queue>
#include <random>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/tunnel_metadata.h"
#include "connector_svc/tunnel_client.h"
#include "dirbridge/v1/tunnel.grpc.pb.h"

namespace dirbridge::bench {
namespace {

class FakeStream : public grpc::ClientBidiReactor<v1::ConnectorFrame, v1::CloudFrame> {
 public:
  // on_accept: the Settings came; on_end(accepted, code): OnDone, last.
  FakeStream(v1::ConnectorTunnel::Stub* stub, const std::string& credential,
             std::function<void()> on_accept,
             std::function<void(bool, grpc::StatusCode)> on_end)
      : on_accept_(std::move(on_accept)), on_end_(std::move(on_end)) {
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
      accepted_ = true;
      on_accept_();
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
  void OnDone(const grpc::Status& status) override {
    on_end_(accepted_, status.error_code());
    done_ = true;
  }

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
  std::function<void()> on_accept_;
  std::function<void(bool, grpc::StatusCode)> on_end_;
  bool accepted_ = false;  // reactions run one at a time
  std::atomic<bool> done_{false};
  absl::Mutex mu_;
  std::deque<v1::ConnectorFrame> outbox_;
  bool writing_ = false;
};

// connector_svc's defaults (TunnelOptions): the storm is the one a fleet
// of real connectors makes.
const connector::TunnelOptions kPolicy{};

}  // namespace

struct FakeConnectors::Impl {
  struct Attempt {
    std::unique_ptr<v1::ConnectorTunnel::Stub> stub;  // a new channel each time
    std::unique_ptr<FakeStream> stream;
  };
  struct Slot {
    std::string credential;
    // The current stream and its channel. The previous one goes before the
    // next is made, as connector_svc's loop does: an ended channel would
    // keep its TCP connection (and a file descriptor on each side) open.
    std::unique_ptr<Attempt> attempt;
    // As TunnelClient::Run with one address.
    absl::Duration backoff = kPolicy.initial_backoff;
    int failed_in_a_row = 0;
    bool connected = false;  // its current stream had its Settings
    absl::Time accepted_at = absl::InfinitePast();
  };
  // Unlocked: a reaction (which may lock mu) could run inside StartCall.
  void Connect(size_t i) ABSL_LOCKS_EXCLUDED(mu) {
    std::string credential;
    int attempt;
    {
      absl::MutexLock lock(&mu);
      credential = slots[i].credential;
      attempt = attempts++;
    }
    grpc::ChannelArguments args;
    // A distinct argument per channel: no subchannel sharing, one TCP
    // connection per connector, as in the field.
    args.SetInt("dirbridge.bench_channel", static_cast<int>(i));
    args.SetInt("dirbridge.bench_attempt", attempt);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                static_cast<int>(absl::ToInt64Milliseconds(kPolicy.initial_backoff)));
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
                static_cast<int>(absl::ToInt64Milliseconds(kPolicy.initial_backoff)));
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                static_cast<int>(absl::ToInt64Milliseconds(kPolicy.max_backoff)));
    auto a = std::make_unique<Attempt>();
    a->stub = v1::ConnectorTunnel::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    a->stream = std::make_unique<FakeStream>(
        a->stub.get(), credential, [this, i] { Accepted(i); },
        [this, i](bool was_accepted, grpc::StatusCode code) { Ended(i, was_accepted, code); });
    absl::MutexLock lock(&mu);
    slots[i].attempt = std::move(a);
  }

  // The slot's ended attempt, freed (its OnDone may still be returning).
  void Release(size_t i) ABSL_LOCKS_EXCLUDED(mu) {
    std::unique_ptr<Attempt> old;
    {
      absl::MutexLock lock(&mu);
      old = std::move(slots[i].attempt);
    }
    if (!old) return;
    while (!old->stream->done()) absl::SleepFor(absl::Microseconds(50));
  }

  void Accepted(size_t i) {
    accepted.fetch_add(1);
    connected.fetch_add(1);
    absl::MutexLock lock(&mu);
    slots[i].connected = true;
    slots[i].accepted_at = absl::Now();
  }

  void Ended(size_t i, bool was_accepted, grpc::StatusCode code) {
    if (was_accepted) connected.fetch_sub(1);
    if (code == grpc::StatusCode::UNAUTHENTICATED || code == grpc::StatusCode::PERMISSION_DENIED) {
      refused.fetch_add(1);
    }
    absl::MutexLock lock(&mu);
    Slot& s = slots[i];
    s.connected = false;
    if (closing) return;
    if (was_accepted) {
      s.backoff = kPolicy.initial_backoff;
      s.failed_in_a_row = 0;
    } else {
      ++s.failed_in_a_row;
    }
    // Full jitter over the upper half; with one address, "others left"
    // only right after a stream that was accepted.
    bool others_left = s.failed_in_a_row < 1;
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    absl::Duration wait = (others_left ? kPolicy.initial_backoff : s.backoff) * jitter(rng);
    if (!others_left) s.backoff = std::min(s.backoff * 2, kPolicy.max_backoff);
    due.emplace(absl::Now() + wait, i);
  }

  void Loop() {
    while (true) {
      size_t i;
      {
        absl::MutexLock lock(&mu);
        if (closing) return;
        absl::Time next = due.empty() ? absl::Now() + absl::Milliseconds(100) : due.top().first;
        if (next > absl::Now()) {
          mu.AwaitWithDeadline(absl::Condition(&closing), next);
          continue;
        }
        i = due.top().second;
        due.pop();
      }
      Release(i);
      Connect(i);
    }
  }

  std::string address;
  std::atomic<int> accepted{0}, connected{0}, refused{0};
  absl::Mutex mu;
  bool closing ABSL_GUARDED_BY(mu) = false;
  std::vector<Slot> slots ABSL_GUARDED_BY(mu);
  int attempts ABSL_GUARDED_BY(mu) = 0;
  std::mt19937_64 rng ABSL_GUARDED_BY(mu){7};
  using Due = std::pair<absl::Time, size_t>;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due ABSL_GUARDED_BY(mu);
  std::thread loop;
};

FakeConnectors::FakeConnectors() : impl_(std::make_unique<Impl>()) {}
FakeConnectors::~FakeConnectors() { CloseAll(); }

absl::Status FakeConnectors::Open(const std::string& address,
                                  const std::vector<std::string>& credentials) {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->address = address;
    for (const std::string& c : credentials) {
      Impl::Slot slot;
      slot.credential = c;
      impl_->slots.push_back(std::move(slot));
    }
  }
  for (size_t i = 0; i < credentials.size(); ++i) impl_->Connect(i);
  impl_->loop = std::thread([this] { impl_->Loop(); });
  return absl::OkStatus();
}

int FakeConnectors::accepted() const { return impl_->accepted.load(); }
int FakeConnectors::connected() const { return impl_->connected.load(); }
int FakeConnectors::refused() const { return impl_->refused.load(); }

int FakeConnectors::ConnectedSince(absl::Time t) const {
  absl::MutexLock lock(&impl_->mu);
  int n = 0;
  for (const Impl::Slot& s : impl_->slots) n += s.connected && s.accepted_at >= t;
  return n;
}

void FakeConnectors::CloseAll() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->closing = true;
  }
  if (impl_->loop.joinable()) impl_->loop.join();
  // Closing: nothing connects any more.
  std::vector<std::unique_ptr<Impl::Attempt>> attempts;
  {
    absl::MutexLock lock(&impl_->mu);
    for (Impl::Slot& s : impl_->slots) {
      if (s.attempt) attempts.push_back(std::move(s.attempt));
    }
  }
  for (auto& a : attempts) a->stream->Cancel();
  for (auto& a : attempts) {
    while (!a->stream->done()) absl::SleepFor(absl::Milliseconds(1));
  }
}

}  // namespace dirbridge::bench
