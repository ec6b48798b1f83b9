// cloud_svc: the coordinator. Accepts connector tunnels on --tunnel_addr and
// serves the backend's typed services on --backend_addr.

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include <grpcpp/create_channel.h>

#include "cloud_svc/api/admin_service.h"
#include "cloud_svc/identity/bootstrap.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "cloud_svc/api/auth_service.h"
#include "cloud_svc/api/auth_throttle.h"
#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/identity/connector_identity.h"
#include "cloud_svc/api/deployment_service.h"
#include "cloud_svc/api/directory_service.h"
#include "cloud_svc/jobs/importer.h"
#include "cloud_svc/api/mappings_service.h"
#include "cloud_svc/jobs/scheduler.h"
#include "cloud_svc/api/keys_service.h"
#include "cloud_svc/identity/registrar.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/routing/session_registry.h"
#include "cloud_svc/store/sqlite_store.h"
#include "cloud_svc/identity/tunnel_ca.h"
#include "cloud_svc/routing/tunnel_service.h"
#include "common/grpc_server.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "common/termination.h"
#include "common/version.h"

ABSL_FLAG(std::string, backend_addr, "127.0.0.1:50051",
          "Listener for the cloud backend, operators, grpcurl / buf curl.");
ABSL_FLAG(std::string, tunnel_addr, "0.0.0.0:50052",
          "Listener for connectors (ConnectorTunnel.Register and Connect).");
ABSL_FLAG(std::string, data_dir, "./cloud-data",
          "Directory for the SQLite store (created with mode 0700).");
ABSL_FLAG(std::string, backend_tls_cert, "",
          "PEM certificate chain for the listeners; required unless --insecure.");
ABSL_FLAG(std::string, backend_tls_key, "",
          "PEM private key for --backend_tls_cert.");
ABSL_FLAG(bool, insecure, false,
          "Plaintext gRPC on both listeners. Local stacks only.");
ABSL_FLAG(std::vector<std::string>, tunnel_hostnames, std::vector<std::string>({"localhost", "127.0.0.1"}),
          "Names and addresses put in the tunnel listener's certificate besides "
          "tunnel.dirbridge.internal (which pinned connectors check).");
ABSL_FLAG(absl::Duration, client_cert_validity, absl::Hours(24 * 90),
          "Lifetime of connectors' client certificates; they renew at two thirds.");
ABSL_FLAG(std::string, operator_token_file, "",
          "File holding the operator token, which may create tenants. "
          "Without it, Admin.CreateTenant is refused.");
ABSL_FLAG(uint32_t, stream_credits, 2,
          "Chunks a streamed call (SearchUsers, an import) may have on the way from a "
          "connector before the cloud has taken one: more keeps a stream over a long "
          "round trip moving, fewer holds less memory. 1 to 64.");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(10),
          "How often the cloud pings each connector; 3 missed pings mark it "
          "Not Connected.");
ABSL_FLAG(absl::Duration, registration_key_ttl, absl::Hours(24),
          "Default lifetime of a registration key.");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10),
          "On SIGTERM, how long in-flight calls may take to finish.");
ABSL_FLAG(std::string, ports_file, "",
          "If set, the bound ports are written there as `backend=N` and "
          "`tunnel=N` lines (useful with port 0).");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn, error.");
ABSL_FLAG(std::string, log_format, "text", "text (key=value) or json, one line per event.");
ABSL_FLAG(std::string, bootstrap_dir, "",
          "Demo stacks only: make backend TLS files that do not exist, and on an empty "
          "store a tenant, a connector and its registration key, written here.");
ABSL_FLAG(std::string, probe, "",
          "Health probe mode: check grpc.health.v1 at HOST:PORT, exit 0 when SERVING.");
ABSL_FLAG(std::string, probe_ca, "", "Probe mode: CA for a TLS listener (else plaintext).");
ABSL_FLAG(std::string, metrics_addr, "",
          "HOST:PORT for Prometheus metrics at /metrics (HTTP); empty: off.");
ABSL_FLAG(int, auth_failures_per_user, 10,
          "Failed logins allowed per (tenant, username) in a burst, refilled over "
          "--auth_failure_window; past it Authenticate answers RESOURCE_EXHAUSTED "
          "without asking the directory.");
ABSL_FLAG(int, auth_failures_per_tenant, 1000, "The same, for a whole tenant.");
ABSL_FLAG(absl::Duration, auth_failure_window, absl::Minutes(15),
          "Time over which the failed-login buckets refill.");
ABSL_FLAG(int, import_page_size, 1000, "Users per LDAP page (and per stored chunk) in imports.");
ABSL_FLAG(double, import_hold_fraction, 0.2,
          "An import that would mark more than this fraction of a mapping's users "
          "NOT_IN_DIRECTORY is held (IMPORT_HELD alert) instead.");
ABSL_FLAG(int, import_hold_minimum, 10, "... and more than this many users.");
ABSL_FLAG(absl::Duration, import_full_interval, absl::Hours(24 * 7),
          "Scheduled imports read only changes until the last full run is this old.");
ABSL_FLAG(absl::Duration, scheduler_tick, absl::Seconds(10),
          "How often the scheduler looks for mappings whose sync_interval has passed.");

namespace dirbridge::cloud {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read \"", path, "\""));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WritePortsFile(const std::string& path, int backend, int tunnel) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << "backend=" << backend << "\ntunnel=" << tunnel << "\n";
    if (!out) return absl::InternalError(absl::StrCat("cannot write \"", tmp, "\""));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot write \"", path, "\": ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials() {
  if (absl::GetFlag(FLAGS_insecure)) return grpc::InsecureServerCredentials();
  std::string cert_file = absl::GetFlag(FLAGS_backend_tls_cert);
  std::string key_file = absl::GetFlag(FLAGS_backend_tls_key);
  if (std::string dir = absl::GetFlag(FLAGS_bootstrap_dir); !dir.empty() && !cert_file.empty()) {
    RETURN_IF_ERROR(BootstrapBackendTls(dir, cert_file, key_file,
                                        absl::GetFlag(FLAGS_tunnel_hostnames)));
  }
  if (cert_file.empty() || key_file.empty()) {
    return absl::FailedPreconditionError(
        "--backend_tls_cert and --backend_tls_key are required unless --insecure");
  }
  ASSIGN_OR_RETURN(std::string cert, ReadFile(cert_file));
  ASSIGN_OR_RETURN(std::string key, ReadFile(key_file));
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  return grpc::SslServerCredentials(options);
}

void DescribeCloudMetrics() {
  Metrics& m = Metrics::Get();
  m.Describe("dirbridge_connectors_connected", "gauge", "Connectors connected, per tenant.");
  m.Describe("dirbridge_connector_sessions_total", "counter", "Tunnel sessions accepted.");
  m.Describe("dirbridge_calls_total", "counter", "Calls routed to connectors, by method and status.");
  m.Describe("dirbridge_call_seconds", "histogram", "Latency of routed calls, backend to answer.");
  m.Describe("dirbridge_imports_total", "counter", "Imports, by result (complete, failed, held).");
  m.Describe("dirbridge_imported_users_total", "counter", "Users seen by complete imports.");
  m.Set("dirbridge_connectors_connected", {}, 0);
}

absl::Status Run() {
  std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create --data_dir \"", data_dir, "\": ", ec.message()));
  }
  chmod(data_dir.c_str(), 0700);

  std::string operator_token;
  if (std::string f = absl::GetFlag(FLAGS_operator_token_file); !f.empty()) {
    ASSIGN_OR_RETURN(operator_token, ReadFile(f));
    operator_token = std::string(absl::StripAsciiWhitespace(operator_token));
    if (operator_token.size() < 16) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--operator_token_file \"", f, "\" holds fewer than 16 characters"));
    }
  }
  if (absl::GetFlag(FLAGS_stream_credits) < 1 || absl::GetFlag(FLAGS_stream_credits) > 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--stream_credits must be from 1 to 64, not ", absl::GetFlag(FLAGS_stream_credits)));
  }
  if (absl::GetFlag(FLAGS_heartbeat_interval) < absl::Milliseconds(50)) {
    return absl::InvalidArgumentError("--heartbeat_interval must be at least 50ms");
  }
  if (absl::GetFlag(FLAGS_auth_failures_per_user) < 1 ||
      absl::GetFlag(FLAGS_auth_failures_per_tenant) < 1 ||
      absl::GetFlag(FLAGS_auth_failure_window) <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--auth_failures_per_user and --auth_failures_per_tenant must be at least 1, "
        "--auth_failure_window positive");
  }
  if (absl::GetFlag(FLAGS_import_page_size) < 1 || absl::GetFlag(FLAGS_import_page_size) > 10000 ||
      absl::GetFlag(FLAGS_import_hold_fraction) < 0 ||
      absl::GetFlag(FLAGS_import_hold_fraction) > 1 || absl::GetFlag(FLAGS_import_hold_minimum) < 0 ||
      absl::GetFlag(FLAGS_scheduler_tick) < absl::Milliseconds(50)) {
    return absl::InvalidArgumentError(
        "--import_page_size must be 1..10000, --import_hold_fraction 0..1, "
        "--import_hold_minimum >= 0, --scheduler_tick >= 50ms");
  }
  ASSIGN_OR_RETURN(auto creds, ListenerCredentials());
  if (absl::GetFlag(FLAGS_insecure)) {
    spdlog::warn("event=insecure_listeners note=\"plaintext gRPC on both listeners; "
                 "local stacks only\"");
  }

  ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
                   SqliteStore::Open(data_dir + "/cloud.db"));
  SessionLimits limits;
  limits.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  limits.initial_stream_credits = absl::GetFlag(FLAGS_stream_credits);
  SessionRegistry registry(store.get(), limits);
  Router router(&registry);
  Authenticator auth(store.get(), operator_token);
  // The tunnel: mutual TLS with our own CA, or (--insecure) plaintext with
  // a bearer credential per connector.
  std::unique_ptr<TunnelCa> tunnel_ca;
  std::unique_ptr<ConnectorAuthenticator> connector_auth;
  std::shared_ptr<grpc::ServerCredentials> tunnel_creds = creds;
  if (!absl::GetFlag(FLAGS_insecure)) {
    ASSIGN_OR_RETURN(tunnel_ca, TunnelCa::LoadOrCreate(data_dir, absl::GetFlag(FLAGS_tunnel_hostnames)));
    tunnel_creds = tunnel_ca->ServerCredentials();
    connector_auth = std::make_unique<CertificateAuthenticator>(store.get());
  } else {
    connector_auth = std::make_unique<CredentialAuthenticator>(store.get());
  }
  Registrar registrar(store.get(), absl::GetFlag(FLAGS_registration_key_ttl), tunnel_ca.get(),
                      absl::GetFlag(FLAGS_client_cert_validity));

  if (std::string dir = absl::GetFlag(FLAGS_bootstrap_dir); !dir.empty()) {
    RETURN_IF_ERROR(BootstrapDemoTenant(dir, store.get(), &registrar));
  }
  AdminService admin(store.get(), &auth, &registrar, &registry, &router);
  DirectoryService directory(&auth, &router);
  AuthThrottle throttle(ThrottleLimits{absl::GetFlag(FLAGS_auth_failures_per_user),
                                       absl::GetFlag(FLAGS_auth_failures_per_tenant),
                                       absl::GetFlag(FLAGS_auth_failure_window)});
  AuthService auth_service(&auth, &router, &registry, &throttle);
  KeysService keys_service(&auth, &router, store.get());
  ImportPolicy import_policy;
  import_policy.page_size = absl::GetFlag(FLAGS_import_page_size);
  import_policy.hold_fraction = absl::GetFlag(FLAGS_import_hold_fraction);
  import_policy.hold_minimum = absl::GetFlag(FLAGS_import_hold_minimum);
  import_policy.full_interval = absl::GetFlag(FLAGS_import_full_interval);
  Importer importer(store.get(), &router, import_policy);
  MappingsService mappings_service(&auth, store.get(), &importer);
  DeploymentService deployment_service(&auth, &router, store.get());
  TunnelService tunnel(&registrar, connector_auth.get(), &registry);

  EnableReflectionAndHealth();
  int backend_port = 0;
  grpc::ServerBuilder backend_builder;
  backend_builder.AddListeningPort(absl::GetFlag(FLAGS_backend_addr), creds, &backend_port);
  backend_builder.RegisterService(&admin);
  backend_builder.RegisterService(&directory);
  backend_builder.RegisterService(&auth_service);
  backend_builder.RegisterService(&keys_service);
  backend_builder.RegisterService(&mappings_service);
  backend_builder.RegisterService(&deployment_service);
  std::unique_ptr<grpc::Server> backend_server = backend_builder.BuildAndStart();
  if (!backend_server || backend_port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on --backend_addr ", absl::GetFlag(FLAGS_backend_addr)));
  }

  int tunnel_port = 0;
  grpc::ServerBuilder tunnel_builder;
  tunnel_builder.AddListeningPort(absl::GetFlag(FLAGS_tunnel_addr), tunnel_creds, &tunnel_port);
  tunnel_builder.RegisterService(&tunnel);
  tunnel_builder.SetMaxReceiveMessageSize(static_cast<int>(limits.max_frame_bytes));
  // Connectors send keepalive pings; allow them, and notice dead peers.
  tunnel_builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  tunnel_builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  tunnel_builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  tunnel_builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  tunnel_builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  std::unique_ptr<grpc::Server> tunnel_server = tunnel_builder.BuildAndStart();
  if (!tunnel_server || tunnel_port == 0) {
    backend_server->Shutdown();
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on --tunnel_addr ", absl::GetFlag(FLAGS_tunnel_addr)));
  }
  if (std::string f = absl::GetFlag(FLAGS_ports_file); !f.empty()) {
    RETURN_IF_ERROR(WritePortsFile(f, backend_port, tunnel_port));
  }
  Scheduler scheduler(store.get(), &importer, absl::GetFlag(FLAGS_scheduler_tick));
  std::unique_ptr<MetricsServer> metrics;
  if (std::string addr = absl::GetFlag(FLAGS_metrics_addr); !addr.empty()) {
    DescribeCloudMetrics();
    Metrics::Get().AddCollector([&registry](Metrics& m) {
      m.ClearGauge("dirbridge_connectors_connected");
      for (const auto& [tenant, n] : registry.CountByTenant()) {
        m.Set("dirbridge_connectors_connected", {{"tenant", tenant}}, n);
      }
    });
    ASSIGN_OR_RETURN(metrics, MetricsServer::Start(addr));
    spdlog::info("event=metrics_listening port={}", metrics->port());
  }
  spdlog::info("event=started version={} backend_port={} tunnel_port={} data_dir=\"{}\"",
               kVersion, backend_port, tunnel_port, data_dir);

  int sig = WaitForTermination();
  absl::Time drain = absl::Now() + absl::GetFlag(FLAGS_drain_timeout);
  // Backend calls in flight still need their tunnels: drain them first.
  router.StopAccepting();
  spdlog::info("event=stopping signal={} note=\"draining in-flight calls\"", sig);
  if (!router.WaitIdle(drain)) {
    spdlog::warn("event=drain_timeout note=\"cancelling calls still in flight\"");
  }
  backend_server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
  registry.CloseAll(absl::UnavailableError("cloud_svc is shutting down"));
  registry.WaitUntilEmpty(absl::Now() + absl::Seconds(2));
  tunnel_server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  spdlog::info("event=stopped");
  return absl::OkStatus();
}

// --probe: a health check for container orchestrators, in the same binary.
int Probe() {
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (std::string ca = absl::GetFlag(FLAGS_probe_ca); !ca.empty()) {
    absl::StatusOr<std::string> pem = ReadFile(ca);
    if (!pem.ok()) {
      std::cerr << pem.status().message() << "\n";
      return 1;
    }
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = *pem;
    creds = grpc::SslCredentials(o);
  }
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_probe), creds));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status st = stub->Check(&ctx, {}, &resp);
  bool ok = st.ok() && resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  std::cout << (ok ? "SERVING" : "NOT SERVING: " + st.error_message()) << "\n";
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace dirbridge::cloud

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "dirbridge coordinator.\n\n"
      "  cloud_svc --insecure --operator_token_file FILE [--backend_addr ...]\n\n"
      "Backend services (Admin, Directory, Auth, Keys, Mappings, Deployment) "
      "listen on --backend_addr;\nconnectors dial --tunnel_addr. Both offer "
      "gRPC reflection and grpc.health.v1.");
  absl::ParseCommandLine(argc, argv);
  if (!absl::GetFlag(FLAGS_probe).empty()) return dirbridge::cloud::Probe();
  // Debian's Abseil keeps mutex deadlock detection on, which books every
  // lock in a global graph: a cost on every call for a check our tests
  // (and TSan-free production) do not need.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  dirbridge::BlockTerminationSignals();
  dirbridge::InitLogging("cloud_svc", absl::GetFlag(FLAGS_log_level),
                         absl::GetFlag(FLAGS_log_format));
  absl::Status st = dirbridge::cloud::Run();
  if (!st.ok()) {
    spdlog::critical("event=fatal error=\"{}\"", st.message());
    std::cerr << "cloud_svc: " << st.message() << "\n";
    return 1;
  }
  return 0;
}
