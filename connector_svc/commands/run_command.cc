#include "connector_svc/commands/run_command.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "common/termination.h"
#include "connector_svc/cloud_channel.h"
#include "connector_svc/commands/command_support.h"
#include "connector_svc/dispatcher.h"
#include "connector_svc/identity.h"
#include "connector_svc/keys/file_key_store.h"
#include "connector_svc/ldap/ldap_directory.h"
#include "connector_svc/password_key.h"
#include "connector_svc/tunnel_client.h"

namespace dirbridge::connector {
namespace {

// Null when the config names no metrics address.
absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetrics(const ConnectorConfig& config) {
  if (config.metrics_addr.empty()) return nullptr;
  Metrics& m = Metrics::Get();
  m.Describe("dirbridge_tunnel_reconnects_total", "counter", "Tunnel streams that ended.");
  m.Describe("dirbridge_connector_calls_total", "counter", "Calls handled, by kind and status.");
  m.Describe("dirbridge_ldap_operation_seconds", "histogram", "LDAP operation latency, per server.");
  m.Describe("dirbridge_ldap_errors_total", "counter", "LDAP operations lost to a server error.");
  m.Describe("dirbridge_tunnel_connected", "gauge",
             "1 while a tunnel stream to the cloud is accepted, else 0.");
  m.Add("dirbridge_tunnel_reconnects_total", {}, 0);
  m.Set("dirbridge_tunnel_connected", {}, 0);
  ASSIGN_OR_RETURN(std::unique_ptr<MetricsServer> metrics, MetricsServer::Start(config.metrics_addr));
  spdlog::info("event=metrics_listening port={}", metrics->port());
  return metrics;
}

// A first look at LDAP, so the log says at once whether it is reachable;
// the connector serves either way and reports its health to the cloud.
void ProbeLdap(Directory& directory, const ConnectorConfig& config) {
  OpContext probe{absl::Now() + std::min(config.ldap.timeout, absl::Seconds(5)), nullptr};
  absl::StatusOr<NamingContexts> nc = directory.ListNamingContexts(probe);
  if (nc.ok()) {
    spdlog::info("event=ldap_ok naming_contexts={}", nc->naming_contexts.size());
  } else {
    spdlog::warn("event=ldap_unreachable error=\"{}\"", nc.status().message());
  }
}

// Runs `client` until a termination signal has drained it, renewing the
// client certificate at two thirds of its life meanwhile.
void Serve(TunnelClient& client, const ConnectorConfig& config,
           const std::vector<std::string>& addresses, const CloudTls& tls) {
  std::thread signals([&client, drain = config.drain_timeout] {
    int sig = WaitForTermination();
    spdlog::info("event=stopping signal={} note=\"draining in-flight calls\"", sig);
    client.Stop(absl::Now() + drain);
  });
  absl::Notification stop_renewals;
  std::thread renewals([&] {
    while (!stop_renewals.WaitForNotificationWithTimeout(config.renew_check_interval)) {
      // Any replica can renew: the first that answers does.
      absl::Status st;
      for (const std::string& address : addresses) {
        st = RenewCertificateIfDue(address, tls);
        if (st.ok()) break;
      }
      if (!st.ok()) spdlog::warn("event=renewal_failed error=\"{}\"", st.message());
    }
  });
  client.Run();
  stop_renewals.Notify();
  renewals.join();
  signals.join();
}

}  // namespace

absl::Status RunConnector(const RunOptions& options) {
  ASSIGN_OR_RETURN(ConnectorConfig config, LoadConfigFlag(options.config_path));
  InitLogging("connector_svc", options.log_level.empty() ? config.log_level : options.log_level,
              config.log_format);
  ASSIGN_OR_RETURN(std::unique_ptr<MetricsServer> metrics, StartMetrics(config));
  RETURN_IF_ERROR(EnsureStateDir(config.state_dir));
  ASSIGN_OR_RETURN(Identity identity, LoadIdentity(config.state_dir));
  ASSIGN_OR_RETURN(auto directory, LdapDirectory::New(config.ldap));
  CloudTls tls{config.cloud_insecure, config.state_dir, config.cloud_ca_file};
  RETURN_IF_ERROR(MakeChannelSetup(tls).status());  // refuse bad files at start
  if (config.cloud_insecure) {
    spdlog::warn("event=insecure_tunnel note=\"plaintext gRPC to the cloud; local stacks only\"");
  }
  ProbeLdap(*directory, config);
  ASSIGN_OR_RETURN(crypto::X25519KeyPair password_key, LoadOrCreatePasswordKey(config.state_dir));
  std::string password_public_key = password_key.public_key;
  ASSIGN_OR_RETURN(std::unique_ptr<FileKeyStore> keys, FileKeyStore::Open(config.state_dir));
  if (keys->NeedsBackup()) {
    std::cerr << kBackupWarning;
    spdlog::warn("event=kek_not_backed_up note=\"run `connector_svc keys export`\"");
  }
  Dispatcher dispatcher(directory.get(), config.worker_threads, identity.tenant_id,
                        std::move(password_key), keys.get(), config.ldap.max_streams);
  TunnelOptions tunnel;
  tunnel.addresses = config.cloud_addresses;
  if (tunnel.addresses.empty()) tunnel.addresses = {identity.cloud_address};
  tunnel.channel_setup = [tls] { return MakeChannelSetup(tls); };
  tunnel.identity = identity;
  tunnel.hostname = Hostname();
  tunnel.password_public_key = password_public_key;
  tunnel.max_backoff = config.reconnect_max_backoff;
  tunnel.protocol_revision = options.protocol_revision;
  tunnel.min_protocol_revision = std::min(kMinProtocolRevision, tunnel.protocol_revision);
  TunnelClient client(tunnel, &dispatcher, directory.get());
  spdlog::info("event=started version={} connector={} cloud={}", kVersion, identity.connector_id,
               absl::StrJoin(tunnel.addresses, ","));
  Serve(client, config, tunnel.addresses, tls);
  spdlog::info("event=stopped");
  return absl::OkStatus();
}

}  // namespace dirbridge::connector
