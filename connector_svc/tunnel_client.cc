#include "connector_svc/tunnel_client.h"

#include <grpcpp/create_channel.h>

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

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const TunnelOptions& o) {
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
  return grpc::CreateCustomChannel(o.address, setup->credentials, args);
}

}  // namespace

TunnelClient::~TunnelClient() = default;

void TunnelClient::StreamEnded() {
  absl::MutexLock lock(&mu_);
  stream_ended_ = true;
}

void TunnelClient::StreamAccepted() {
  absl::MutexLock lock(&mu_);
  accepted_ = true;
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
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stream_ended_ = false;
      accepted_ = false;
    }
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(options_);
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
    stream->Start(stub.get(), hello, options_.identity);

    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stream_ended_ || stopping_;
      };
      mu_.Await(absl::Condition(&wake));
      stopping = stopping_ && !stream_ended_;
    }
    if (stopping) {
      stream->Drain();
      absl::MutexLock lock(&mu_);
      auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stream_ended_; };
      if (!mu_.AwaitWithDeadline(absl::Condition(&ended), drain_deadline_)) {
        spdlog::warn("event=drain_timeout note=\"closing with calls still in flight\"");
        mu_.Unlock();
        stream->Abort();
        mu_.Lock();
        mu_.Await(absl::Condition(&ended));
      }
      spdlog::info("event=tunnel_closed note=\"drained\"");
      AwaitRelease(std::move(stream));
      return;
    }

    bool accepted;
    {
      absl::MutexLock lock(&mu_);
      accepted = accepted_;
    }
    grpc::Status status = stream->status();
    AwaitRelease(std::move(stream));
    Metrics::Get().Add("dirbridge_tunnel_reconnects_total", {});
    if (accepted) backoff = options_.initial_backoff;
    // Full jitter over the upper half: a fleet that lost the cloud at once
    // does not come back at once.
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    absl::Duration wait = backoff * jitter(rng);
    spdlog::warn("event=tunnel_down code={} error=\"{}\" retry_in={}",
                 static_cast<int>(status.error_code()), status.error_message(),
                 absl::FormatDuration(wait));
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
        status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      spdlog::error("event=tunnel_refused note=\"the cloud refused this connector's "
                    "credential; if it was deleted or re-registered elsewhere, "
                    "register it again\"");
    }
    backoff = NextBackoff(backoff);
    absl::MutexLock lock(&mu_);
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop), wait);
  }
}

}  // namespace dirbridge::connector
