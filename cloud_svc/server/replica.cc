#include "cloud_svc/server/replica.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cloud_svc/server/listeners.h"
#include "common/log.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

std::string DefaultReplicaId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "replica");
  }
  std::string id = host;
  for (char& c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '-';
  }
  return absl::StrCat(id.substr(0, 48), "-", NewId().substr(0, 8));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Replica>> Replica::Make(const CloudConfig& config, Store* store,
                                                       const TunnelCa* ca) {
  if (config.peer_addr.empty()) return nullptr;
  PresenceOptions options;
  options.replica_id = config.replica_id.empty() ? DefaultReplicaId() : config.replica_id;
  options.heartbeat = config.replica_heartbeat;
  options.max_calls_per_connector = static_cast<uint32_t>(config.max_calls_per_connector);
  std::shared_ptr<grpc::ChannelCredentials> channel_creds;
  std::shared_ptr<grpc::ServerCredentials> server_creds;
  if (ca != nullptr) {
    // As long as the tunnel's own certificates: renewed at every start.
    ASSIGN_OR_RETURN(x509::KeyAndCert cert,
                     ca->IssueReplica(options.replica_id, absl::Hours(24 * 365)));
    channel_creds = ca->PeerChannelCredentials(cert);
    server_creds = ca->PeerServerCredentials();
  } else {
    channel_creds = grpc::InsecureChannelCredentials();
    server_creds = grpc::InsecureServerCredentials();
  }
  Presence::Dial dial = [channel_creds](const std::string& addr) {
    grpc::ChannelArguments args;
    // Every replica serves the tunnel's certificate, whatever its address.
    args.SetSslTargetNameOverride(kTunnelServerName);
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
    // A replica that died must be noticed within the call, not after
    // gRPC's default 20 s connect backoff.
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    return std::shared_ptr<v1::ReplicaPeer::Stub>(
        v1::ReplicaPeer::NewStub(grpc::CreateCustomChannel(addr, channel_creds, args)));
  };
  auto p = std::make_unique<Presence>(store, options, std::move(dial));
  return std::unique_ptr<Replica>(
      new Replica(config, std::move(p), ca != nullptr, std::move(server_creds)));
}

absl::Status Replica::Start(Router* router, SessionRegistry* registry, int* port) {
  service_ = std::make_unique<PeerService>(router, /*require_replica_cert=*/tls_);
  // As the channels that dial it: the same message limit, and their
  // keepalive pings on links that sit idle between calls are welcome.
  auto configure = [](grpc::ServerBuilder& builder) {
    builder.SetMaxReceiveMessageSize(64 << 20);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  };
  ASSIGN_OR_RETURN(server_, StartListener("peer_addr", config_.peer_addr, server_creds_,
                                          {service_.get()}, port, configure));
  // What others dial: the address as given, with the port actually bound.
  std::string published = config_.peer_addr;
  if (size_t colon = published.rfind(':'); colon != std::string::npos) {
    published = absl::StrCat(published.substr(0, colon + 1), *port);
  }
  RETURN_IF_ERROR(presence_->Start(published));
  registry->set_replicas(presence_.get());
  return absl::OkStatus();
}

void Replica::Drain(SessionRegistry* registry, absl::Time deadline) {
  spdlog::info("event=replica_draining note=\"connectors are asked to move\"");
  registry->RetireAll(absl::UnavailableError("this cloud_svc replica is stopping"));
  if (!registry->WaitUntilEmpty(deadline)) {
    spdlog::warn("event=drain_timeout note=\"some connectors did not move in time\"");
  }
}

void Replica::Stop() {
  if (service_) service_->CloseLinks();
  if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  presence_->Stop();
}

}  // namespace dirbridge::cloud
