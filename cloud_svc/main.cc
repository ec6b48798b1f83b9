// cloud_svc: the coordinator. Accepts connector tunnels on --tunnel_addr and
// serves the backend's typed services on --backend_addr.
//
// Only wiring lives here: the flags and their checks are in config/, the
// start-up files, listeners, metrics and probe in server/.

#include <grpcpp/server.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cloud_svc/api/admin_service.h"
#include "cloud_svc/api/auth_service.h"
#include "cloud_svc/api/auth_throttle.h"
#include "cloud_svc/api/deployment_service.h"
#include "cloud_svc/api/directory_service.h"
#include "cloud_svc/api/keys_service.h"
#include "cloud_svc/api/mappings_service.h"
#include "cloud_svc/config/cloud_config.h"
#include "cloud_svc/config/cloud_flags.h"
#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/identity/bootstrap.h"
#include "cloud_svc/identity/connector_identity.h"
#include "cloud_svc/identity/registrar.h"
#include "cloud_svc/identity/tunnel_ca.h"
#include "cloud_svc/jobs/import_pool.h"
#include "cloud_svc/jobs/importer.h"
#include "cloud_svc/jobs/scheduler.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/routing/session_registry.h"
#include "cloud_svc/routing/tunnel_service.h"
#include "cloud_svc/server/cloud_metrics.h"
#include "cloud_svc/server/listeners.h"
#include "cloud_svc/server/probe.h"
#include "cloud_svc/server/replica.h"
#include "cloud_svc/server/shutdown.h"
#include "cloud_svc/server/startup_files.h"
#include "cloud_svc/store/open_store.h"
#include "common/grpc_server.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/termination.h"
#include "common/thread_pool.h"
#include "common/version.h"

namespace dirbridge::cloud {
namespace {

// Store steps that may wait for a thread of the store pool, per thread.
constexpr int kStoreQueuePerThread = 256;

absl::Status Run(const CloudConfig& config) {
  RETURN_IF_ERROR(PrepareDataDir(config.data_dir));
  ASSIGN_OR_RETURN(std::string operator_token, ReadOperatorToken(config.operator_token_file));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> creds, ListenerCredentials(config));
  if (config.insecure) {
    spdlog::warn("event=insecure_listeners note=\"plaintext gRPC on both listeners; "
                 "local stacks only\"");
  }

  // ---- The store and the services are built here. -------------------------
  // gRPC's threads never wait on the store: every step that touches it
  // runs here. Its queue is bounded; past it a call is RESOURCE_EXHAUSTED.
  // Destroyed after everything that schedules on it.
  ThreadPool store_pool(config.store_threads, kStoreQueuePerThread * config.store_threads);
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(config));
  SessionLimits limits;
  limits.heartbeat_interval = config.heartbeat_interval;
  limits.initial_stream_credits = config.stream_credits;
  limits.max_concurrent_calls = static_cast<uint32_t>(config.max_calls_per_connector);
  Authenticator auth(store.get(), operator_token);
  // The tunnel: mutual TLS with our own CA, or (--insecure) plaintext with
  // a bearer credential per connector.
  std::unique_ptr<TunnelCa> tunnel_ca;
  std::unique_ptr<ConnectorAuthenticator> connector_auth;
  std::shared_ptr<grpc::ServerCredentials> tunnel_creds = creds;
  if (!config.insecure) {
    ASSIGN_OR_RETURN(tunnel_ca, TunnelCa::LoadOrCreate(config.data_dir, config.tunnel_hostnames));
    tunnel_creds = tunnel_ca->ServerCredentials();
    connector_auth = std::make_unique<CertificateAuthenticator>(store.get());
  } else {
    connector_auth = std::make_unique<CredentialAuthenticator>(store.get());
  }
  SessionRegistry registry(store.get(), connector_auth.get(), &store_pool, limits);
  // One of N replicas (--peer_addr), or null.
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica,
                   Replica::Make(config, store.get(), tunnel_ca.get()));
  Router router(&registry,
                RouterOptions{config.call_timeout, config.stream_timeout,
                              config.max_calls_per_tenant},
                replica ? replica->presence() : nullptr);
  Registrar registrar(store.get(), config.registration_key_ttl, tunnel_ca.get(),
                      config.client_cert_validity);
  if (!config.bootstrap_dir.empty()) {
    RETURN_IF_ERROR(BootstrapDemoTenant(config.bootstrap_dir, store.get(), &registrar));
  }
  TenantQuotas quotas;
  quotas.max_connectors = static_cast<uint64_t>(config.max_connectors_per_tenant);
  quotas.max_mappings = static_cast<uint64_t>(config.max_mappings_per_tenant);
  quotas.max_deployment_tokens = static_cast<uint64_t>(config.max_deployment_tokens_per_tenant);
  quotas.max_devices = static_cast<uint64_t>(config.max_devices_per_tenant);
  AdminService admin(store.get(), &auth, &registrar, &registry, &router, &store_pool, quotas);
  DirectoryService directory(&auth, &router, &store_pool);
  AuthThrottle throttle(ThrottleLimits{config.auth_failures_per_user,
                                       config.auth_failures_per_tenant,
                                       config.auth_failure_window,
                                       static_cast<size_t>(config.auth_throttle_buckets)});
  AuthService auth_service(&auth, &router, &registry, &throttle, &store_pool);
  KeysService keys_service(&auth, &router, store.get(), &store_pool);
  ImportPolicy import_policy;
  import_policy.page_size = config.import_page_size;
  import_policy.hold_fraction = config.import_hold_fraction;
  import_policy.hold_minimum = static_cast<uint64_t>(config.import_hold_minimum);
  import_policy.full_interval = config.import_full_interval;
  import_policy.timeout = config.import_timeout;
  import_policy.chunk_silence = config.import_chunk_silence;
  Importer importer(store.get(), &router, import_policy);
  // Every import, on demand or scheduled, within each tenant's share.
  ImportPool import_pool(ImportPoolOptions{config.import_threads, config.imports_per_tenant,
                                           static_cast<size_t>(config.import_queue)});
  MappingsService mappings_service(&auth, store.get(), &importer, &store_pool, &import_pool,
                                   quotas);
  DeploymentService deployment_service(&auth, &router, store.get(), &store_pool, quotas);
  TunnelService tunnel(&registrar, connector_auth.get(), &registry, &store_pool);
  // ---- End of the store and the services. ----------------------------------

  EnableReflectionAndHealth();
  int backend_port = 0;
  std::vector<grpc::Service*> backend_services = {
      &admin, &directory, &auth_service, &keys_service, &mappings_service, &deployment_service};
  ASSIGN_OR_RETURN(std::unique_ptr<grpc::Server> backend_server,
                   StartListener("backend_addr", config.backend_addr, creds, backend_services,
                                 &backend_port));
  // Published before the first connector can arrive.
  int peer_port = 0;
  if (replica) RETURN_IF_ERROR(replica->Start(&router, &registry, &peer_port));
  int tunnel_port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> tunnel_server = StartListener(
      "tunnel_addr", config.tunnel_addr, tunnel_creds, {&tunnel}, &tunnel_port,
      [&limits](grpc::ServerBuilder& b) { ConfigureTunnelListener(b, limits); });
  if (!tunnel_server.ok()) {
    backend_server->Shutdown();
    return tunnel_server.status();
  }
  if (!config.ports_file.empty()) {
    RETURN_IF_ERROR(WritePortsFile(config.ports_file, backend_port, tunnel_port, peer_port));
  }
  Scheduler scheduler(store.get(), &importer, &import_pool, config.scheduler_tick);
  std::unique_ptr<MetricsServer> metrics;
  if (!config.metrics_addr.empty()) {
    ASSIGN_OR_RETURN(metrics, StartCloudMetrics(config.metrics_addr, &registry));
    spdlog::info("event=metrics_listening port={}", metrics->port());
  }
  spdlog::info("event=started version={} backend_port={} tunnel_port={} data_dir=\"{}\"",
               kVersion, backend_port, tunnel_port, config.data_dir);

  int sig = WaitForTermination();
  spdlog::info("event=stopping signal={} note=\"draining in-flight calls\"", sig);
  DrainAndStop({&router, &registry, backend_server.get(), tunnel_server->get(), replica.get(),
                &store_pool},
               config.drain_timeout);
  spdlog::info("event=stopped");
  return absl::OkStatus();
}

}  // namespace
}  // namespace dirbridge::cloud

int main(int argc, char** argv) {
  namespace cloud = dirbridge::cloud;
  std::vector<std::string> problems = cloud::ParseCloudFlags(argc, argv);
  if (cloud::ProbeTarget probe = cloud::ProbeTargetFromFlags(); !probe.address.empty()) {
    return cloud::Probe(probe);
  }
  const cloud::CloudConfig config = cloud::CloudConfigFromFlags();
  std::vector<std::string> invalid = config.Validate();
  problems.insert(problems.end(), invalid.begin(), invalid.end());
  if (!problems.empty()) {
    std::cerr << cloud::FormatConfigProblems(problems) << "\n";
    return 2;
  }
  // Debian's Abseil keeps mutex deadlock detection on, which books every
  // lock in a global graph: a cost on every call for a check our tests
  // (and TSan-free production) do not need.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  dirbridge::BlockTerminationSignals();
  dirbridge::InitLogging("cloud_svc", config.log_level, config.log_format);
  absl::Status st = cloud::Run(config);
  if (!st.ok()) {
    spdlog::critical("event=fatal error=\"{}\"", st.message());
    std::cerr << "cloud_svc: " << st.message() << "\n";
    return 1;
  }
  return 0;
}
