#include "connector_svc/tunnel_client.h"

#include <grpcpp/create_channel.h>

#include <algorithm>
#include <random>

#include "common/log.h"
#include "common/metrics.h"
#include "common/version.h"
#include "connector_svc/tunnel_stream.h"

namespace dirbridge::connector {

TunnelClient::TunnelClient(TunnelOptions options, Dispatcher* dispatcher,
                           Directory* directory)
    : options_(std::move(options)), dispatcher_(dispatcher), directory_(directory) {}

namespace {

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const TunnelOptions& o,
                                                           const std::string& address) {
  absl::StatusOr<ChannelSetup> setup = o.channel_setup();
  if (!setup.ok()) return setup.status();
  grpc::ChannelArguments& args = setup->args;
  // Notice a half-open TCP connection even when no call is in flight.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Our own loop owns the backoff; keep gRPC's from stacking on top of it.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(o.initial_backoff)));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(o.initial_backoff)));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(o.max_backoff)));
  args.SetMaxReceiveMessageSize(16 << 20);
  return grpc::CreateCustomChannel(address, setup->credentials, args);
}

}  // namespace

TunnelClient::~TunnelClient() = default;

void TunnelClient::StreamEnded(TunnelStream* stream) {
  bool was_current;
  {
    absl::MutexLock lock(&mu_);
    was_current = stream == current_;
    if (was_current) {
      stream_ended_ = true;
    } else {
      retired_.push_back(stream);
    }
  }
  // Outside mu_: the registry has a lock of its own.
  if (was_current) Metrics::Get().Set("dirbridge_tunnel_connected", {}, 0);
}

void TunnelClient::StreamAccepted(TunnelStream* stream) {
  bool was_current;
  {
    absl::MutexLock lock(&mu_);
    was_current = stream == current_;
    if (was_current) accepted_ = true;
  }
  // What the container health check reads (deploy/docker/connector-health.sh).
  if (was_current) Metrics::Get().Set("dirbridge_tunnel_connected", {}, 1);
}

void TunnelClient::StreamGoaway(TunnelStream* stream) {
  absl::MutexLock lock(&mu_);
  if (stream == current_) goaway_ = true;
}

void TunnelClient::ReleaseRetired() {
  std::vector<std::shared_ptr<TunnelStream>> done;
  {
    absl::MutexLock lock(&mu_);
    for (TunnelStream* ended : retired_) {
      auto it = std::find_if(retiring_.begin(), retiring_.end(),
                             [ended](const Retiring& r) { return r.stream.get() == ended; });
      if (it == retiring_.end()) continue;
      done.push_back(std::move(it->stream));
      retiring_.erase(it);
    }
    retired_.clear();
  }
  for (auto& stream : done) AwaitRelease(std::move(stream));
}

void TunnelClient::FinishRetiring(absl::Time deadline) {
  auto all_ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return retired_.size() >= retiring_.size();
  };
  std::vector<std::shared_ptr<TunnelStream>> left;
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithDeadline(absl::Condition(&all_ended), deadline);
    for (Retiring& r : retiring_) {
      if (std::find(retired_.begin(), retired_.end(), r.stream.get()) == retired_.end()) {
        left.push_back(r.stream);
      }
    }
  }
  for (auto& stream : left) stream->Abort();
  left.clear();
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&all_ended));
  }
  ReleaseRetired();
}

void TunnelClient::Stop(absl::Time drain_deadline) {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  drain_deadline_ = drain_deadline;
}

// OnDone announces the end of a stream before gRPC has let go of it; the
// process must not exit (or the channel go) while it still holds it.
void TunnelClient::AwaitRelease(std::shared_ptr<TunnelStream> stream) {
  std::weak_ptr<TunnelStream> weak = stream;
  stream.reset();
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!weak.expired() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
}

absl::Duration TunnelClient::NextBackoff(absl::Duration current) {
  return std::min(current * 2, options_.max_backoff);
}

void TunnelClient::Run() {
  std::mt19937_64 rng(std::random_device{}());
  const size_t n = options_.addresses.size();
  // A random start spreads a fleet of connectors over the replicas.
  size_t next = std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  absl::Duration backoff = options_.initial_backoff;
  size_t failed_in_a_row = 0;
  while (true) {
    ReleaseRetired();
    const std::string& address = options_.addresses[next];
    next = (next + 1) % n;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
      stream_ended_ = false;
      accepted_ = false;
      goaway_ = false;
    }
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(options_, address);
    if (!channel.ok()) {
      spdlog::error("event=tunnel_setup_failed error=\"{}\"", channel.status().message());
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop), options_.max_backoff);
      continue;
    }
    auto stub = v1::ConnectorTunnel::NewStub(*channel);
    v1::Hello hello;
    hello.set_protocol_revision(options_.protocol_revision);
    hello.set_min_protocol_revision(options_.min_protocol_revision);
    hello.set_version(kVersion);
    hello.set_hostname(options_.hostname);
    hello.add_capabilities("echo");
    for (const char* c : {"list_naming_contexts", "list_organizational_units",
                          "list_groups", "search_users", "get_user"}) {
      hello.add_capabilities(c);
    }
    hello.set_ldap_ok(directory_->Healthy());
    hello.set_password_public_key(options_.password_public_key);
    hello.add_capabilities("authenticate");
    hello.add_capabilities("change_password");
    hello.add_capabilities("ekeys");
    auto stream = std::make_shared<TunnelStream>(this, dispatcher_, directory_);
    {
      absl::MutexLock lock(&mu_);
      current_ = stream.get();
    }
    stream->Start(stub.get(), hello, options_.identity);

    bool stopping;
    bool moved;
    {
      absl::MutexLock lock(&mu_);
      // With one address there is nowhere to move to: a Goaway just waits
      // for the stream to end, as before.
      auto wake = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stream_ended_ || stopping_ || (goaway_ && n > 1);
      };
      mu_.Await(absl::Condition(&wake));
      stopping = stopping_ && !stream_ended_;
      moved = !stopping && !stream_ended_ && goaway_;
      if (moved) {
        // Make before break: this stream answers what it has while the
        // next one, to another replica, takes the new calls.
        current_ = nullptr;
        retiring_.push_back({stream, *channel});
      }
    }
    if (moved) {
      spdlog::info("event=tunnel_moving from={} note=\"the cloud replica asked this "
                   "connector to move\"",
                   address);
      Metrics::Get().Add("dirbridge_tunnel_reconnects_total", {});
      backoff = options_.initial_backoff;
      failed_in_a_row = 0;
      continue;
    }
    if (stopping) {
      stream->Drain();
      {
        absl::MutexLock lock(&mu_);
        auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stream_ended_; };
        if (!mu_.AwaitWithDeadline(absl::Condition(&ended), drain_deadline_)) {
          spdlog::warn("event=drain_timeout note=\"closing with calls still in flight\"");
          mu_.Unlock();
          stream->Abort();
          mu_.Lock();
          mu_.Await(absl::Condition(&ended));
        }
      }
      spdlog::info("event=tunnel_closed note=\"drained\"");
      AwaitRelease(std::move(stream));
      break;
    }

    bool accepted;
    {
      absl::MutexLock lock(&mu_);
      accepted = accepted_;
      current_ = nullptr;
    }
    grpc::Status status = stream->status();
    AwaitRelease(std::move(stream));
    Metrics::Get().Add("dirbridge_tunnel_reconnects_total", {});
    if (accepted) {
      backoff = options_.initial_backoff;
      failed_in_a_row = 0;
    } else {
      ++failed_in_a_row;
    }
    // Full jitter over the upper half: a fleet that lost the cloud at once
    // does not come back at once. While untried replicas are left, the
    // next one is tried after the shortest wait: it is most likely up.
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    bool others_left = failed_in_a_row < n;
    absl::Duration wait = (others_left ? options_.initial_backoff : backoff) * jitter(rng);
    spdlog::warn("event=tunnel_down cloud={} code={} error=\"{}\" retry_in={} next={}", address,
                 static_cast<int>(status.error_code()), status.error_message(),
                 absl::FormatDuration(wait), options_.addresses[next]);
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
        status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      spdlog::error("event=tunnel_refused note=\"the cloud refused this connector's "
                    "credential; if it was deleted or re-registered elsewhere, "
                    "register it again\"");
    }
    if (!others_left) backoff = NextBackoff(backoff);
    absl::MutexLock lock(&mu_);
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop), wait);
  }
  absl::Time deadline;
  {
    absl::MutexLock lock(&mu_);
    deadline = drain_deadline_;
  }
  FinishRetiring(deadline);
}

}  // namespace dirbridge::connector
