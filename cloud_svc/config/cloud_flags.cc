#include "cloud_svc/config/cloud_flags.h"

#include <cstdint>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud_svc/config/cloud_config_file.h"
#include "common/version.h"

// Names and defaults are shared/API.md's contract; --help prints each
// default after its text, so the text says what the flag means and allows.

ABSL_FLAG(std::string, backend_addr, "127.0.0.1:50051",
          "HOST:PORT of the backend listener: the cloud backend, operators, grpcurl / buf "
          "curl. Port 0 picks a free port (see --ports_file).");
ABSL_FLAG(std::string, tunnel_addr, "0.0.0.0:50052",
          "HOST:PORT of the tunnel listener, which connectors dial (ConnectorTunnel.Register "
          "and Connect).");
ABSL_FLAG(std::string, data_dir, "./cloud-data",
          "Directory of the SQLite store and the tunnel CA; created with mode 0700.");
ABSL_FLAG(std::string, store, "sqlite",
          "Where the state lives: sqlite (one file under --data_dir, one replica) or a libpq "
          "URI postgresql://USER@HOST:PORT/DB, which N replicas share. The URI must not carry "
          "a password: see --store_password_file.");
ABSL_FLAG(std::string, store_password_file, "",
          "With a PostgreSQL --store: a file (mode 0600) holding the role's password alone. "
          "Empty: libpq's PGPASSFILE, else ~/.pgpass.");
ABSL_FLAG(std::string, backend_tls_cert, "",
          "PEM certificate chain served on both listeners. Required, with --backend_tls_key, "
          "unless --insecure.");
ABSL_FLAG(std::string, backend_tls_key, "",
          "PEM private key of --backend_tls_cert. Required with it.");
ABSL_FLAG(bool, insecure, false,
          "Plaintext gRPC on both listeners, connectors identified by a bearer credential "
          "instead of mutual TLS. Local stacks only.");
ABSL_FLAG(std::vector<std::string>, tunnel_hostnames,
          std::vector<std::string>({"localhost", "127.0.0.1"}),
          "Comma-separated names and addresses put in the tunnel listener's certificate "
          "besides tunnel.dirbridge.internal (the name pinned connectors check).");
ABSL_FLAG(absl::Duration, client_cert_validity, absl::Hours(24 * 90),
          "Lifetime of the client certificates the tunnel CA signs for connectors; they "
          "renew at two thirds of it. Positive.");
ABSL_FLAG(std::string, operator_token_file, "",
          "File holding the operator token (16 characters or more), which may create "
          "tenants. Empty: Admin.CreateTenant is refused.");
ABSL_FLAG(uint32_t, stream_credits, 2,
          "Chunks a streamed call (SearchUsers, an import) may have on the way from a "
          "connector before the cloud has taken one: more keeps a stream over a long "
          "round trip moving, fewer holds less memory. 1 to 64.");
ABSL_FLAG(std::string, peer_addr, "",
          "With a PostgreSQL store, one of N replicas: the address (HOST:PORT, port 0 picks "
          "one) this replica serves the peer hop on, published in the store so that the "
          "others forward calls for the connectors it holds. Mutual TLS with the tunnel CA, "
          "which every replica must share (copy tunnel-ca.pem and tunnel-ca-key.pem, 0600, "
          "into each --data_dir). Empty: a single replica.");
ABSL_FLAG(std::string, replica_id, "",
          "This replica's name in the store (letters, digits, '.', '-', '_'; at most 64). "
          "Empty: the host name and a random suffix, new at every start.");
ABSL_FLAG(absl::Duration, replica_heartbeat, absl::Seconds(2),
          "With --peer_addr: how often this replica refreshes its row; one silent for 3 "
          "of them is dead, its sessions ignored and its connectors mourned if no replica "
          "has them. At least 100ms.");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(10),
          "How often the cloud pings each connector; 3 missed pings mark it Not "
          "Connected. At least 50ms.");
ABSL_FLAG(absl::Duration, registration_key_ttl, absl::Hours(24),
          "Lifetime of a registration key from Admin.GetRegistrationKey. Positive.");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10),
          "On SIGTERM, how long calls in flight may take to finish before they are "
          "cancelled. 0 or more.");
ABSL_FLAG(int, max_calls_per_connector, 1024,
          "Calls one connector's tunnel may carry at once; past it a routed call is "
          "RESOURCE_EXHAUSTED. 1 to 100000.");
ABSL_FLAG(int, max_calls_per_tenant, 4096,
          "Calls one tenant may have in flight across all its connectors; past it "
          "RESOURCE_EXHAUSTED, so one tenant's burst cannot take the router. 1 to 1000000.");
ABSL_FLAG(absl::Duration, call_timeout, absl::Seconds(30),
          "The cloud's deadline for a routed call whose backend set none: then the "
          "connector is told to stop (Cancel) and the caller gets DEADLINE_EXCEEDED. "
          "At least 100ms.");
ABSL_FLAG(absl::Duration, stream_timeout, absl::Hours(1),
          "The same for a streamed call (Directory.SearchUsers). At least 1s.");
ABSL_FLAG(std::string, ports_file, "",
          "If set, the bound ports are written there as `backend=N` and `tunnel=N` lines "
          "once both listeners are up (useful with port 0).");
ABSL_FLAG(std::string, log_level, "info",
          "Least severe level logged: trace, debug, info, warn, error, critical or off.");
ABSL_FLAG(std::string, log_format, "text",
          "text (key=value) or json, one line per event, on stderr.");
ABSL_FLAG(std::string, bootstrap_dir, "",
          "Demo stacks only: create backend TLS files that do not exist, and on an empty "
          "store a tenant, a connector and its registration key, all written here.");
ABSL_FLAG(std::string, metrics_addr, "",
          "HOST:PORT serving Prometheus metrics at /metrics (plain HTTP). Empty: no "
          "metrics endpoint.");
ABSL_FLAG(int, auth_failures_per_user, 10,
          "Failed logins allowed per (tenant, username) in a burst, refilled over "
          "--auth_failure_window; past it Authenticate answers RESOURCE_EXHAUSTED "
          "without asking the directory. At least 1.");
ABSL_FLAG(int, auth_failures_per_tenant, 1000,
          "Failed logins allowed per tenant in a burst, all usernames together; refilled "
          "like --auth_failures_per_user. At least 1.");
ABSL_FLAG(absl::Duration, auth_failure_window, absl::Minutes(15),
          "Time over which the failed-login buckets refill completely. Positive.");
ABSL_FLAG(int, import_page_size, 1000,
          "Users per LDAP page, and per stored chunk, in imports. 1 to 10000.");
ABSL_FLAG(double, import_hold_fraction, 0.2,
          "An import that would mark more than this fraction of a mapping's users "
          "NOT_IN_DIRECTORY (and more than --import_hold_minimum of them) is held, with an "
          "IMPORT_HELD alert, instead of applied. 0 to 1.");
ABSL_FLAG(int, import_hold_minimum, 10,
          "An import is held only when it would mark more than this many users "
          "NOT_IN_DIRECTORY (see --import_hold_fraction). 0 or more.");
ABSL_FLAG(absl::Duration, import_full_interval, absl::Hours(24 * 7),
          "Scheduled imports read only what changed until the last full run (the one that "
          "finds removals) is this old. 0 or more; 0: every run is full.");
ABSL_FLAG(absl::Duration, scheduler_tick, absl::Seconds(10),
          "How often the scheduler looks for mappings whose sync_interval has passed. "
          "At least 50ms.");
ABSL_FLAG(absl::Duration, import_timeout, absl::Hours(2),
          "The longest one import may run, all its searches together; past it the import "
          "is cancelled at the connector and fails DEADLINE_EXCEEDED (IMPORT_FAILED alert, "
          "nobody marked). At least 1s.");
ABSL_FLAG(absl::Duration, import_chunk_silence, absl::Seconds(60),
          "The longest an import waits for the connector's next chunk (or its first); past "
          "it the import is cancelled and fails like --import_timeout. 100ms to "
          "--import_timeout.");
ABSL_FLAG(int, import_threads, 8,
          "Imports running at once over all tenants, on demand and scheduled together. "
          "2 to 256.");
ABSL_FLAG(int, imports_per_tenant, 2,
          "Imports one tenant may have running or waiting; past it ImportUsers answers "
          "RESOURCE_EXHAUSTED and the scheduler defers the tenant's runs to its next tick. "
          "1 to --import_threads - 1.");
ABSL_FLAG(int, import_queue, 64,
          "Imports waiting for a worker over all tenants; past it ImportUsers answers "
          "RESOURCE_EXHAUSTED. 1 to 100000.");
ABSL_FLAG(int64_t, max_connectors_per_tenant, 50,
          "Connectors (not deleted) one tenant may have; past it CreateConnector answers "
          "RESOURCE_EXHAUSTED. 1 to 100000.");
ABSL_FLAG(int64_t, max_mappings_per_tenant, 200,
          "Mappings one tenant may have; past it CreateMapping answers RESOURCE_EXHAUSTED. "
          "1 to 100000.");
ABSL_FLAG(int64_t, max_deployment_tokens_per_tenant, 1000,
          "Unexpired deployment tokens one tenant may have; past it CreateDeploymentToken "
          "answers RESOURCE_EXHAUSTED. 1 to 10000000.");
ABSL_FLAG(int64_t, max_devices_per_tenant, 1000000,
          "Devices one tenant may activate; past it Activate answers RESOURCE_EXHAUSTED. "
          "1 to 1000000000.");
ABSL_FLAG(int64_t, auth_throttle_buckets, 100000,
          "Failed-login buckets kept over all tenants (about 100 bytes each); past it the "
          "refilled ones, then the fullest, are dropped. 1000 to 100000000.");
ABSL_FLAG(int, store_threads, 8,
          "Threads that run backend and presence work touching the store, so that gRPC's "
          "threads never wait on disk. 1 to 256.");
ABSL_FLAG(std::string, config, "",
          "YAML file of flag values, keys = flag names (see cloud_svc/config/"
          "cloud.example.yaml); a flag given on the command line wins over the file. "
          "Unknown keys are an error. Must be on the command line itself.");
ABSL_FLAG(std::string, probe, "",
          "Probe mode, for container health checks: ask grpc.health.v1 at this HOST:PORT, "
          "print the answer and exit 0 when SERVING, 1 otherwise. Other flags are ignored.");
ABSL_FLAG(std::string, probe_ca, "",
          "Probe mode: PEM CA to verify a TLS listener with. Empty: plaintext.");

namespace dirbridge::cloud {
namespace {

// The file above, as __FILE__ spells it in whatever build dir (ccache and
// CMake make it relative or absolute): compared by its tail.
constexpr absl::string_view kFlagsFile = "cloud_svc/config/cloud_flags.cc";

bool IsCloudFlagsFile(absl::string_view filename) { return absl::EndsWith(filename, kFlagsFile); }

}  // namespace

bool IsConfigFlag(const absl::CommandLineFlag& flag) {
  absl::string_view name = flag.Name();
  return IsCloudFlagsFile(flag.Filename()) && name != "config" && name != "probe" &&
         name != "probe_ca";
}

std::vector<std::string> ParseCloudFlags(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the dirbridge coordinator.\n\n"
      "  cloud_svc --backend_tls_cert PEM --backend_tls_key PEM "
      "--operator_token_file FILE [flags]\n"
      "  cloud_svc --insecure ...        plaintext, local stacks only\n"
      "  cloud_svc --probe HOST:PORT [--probe_ca PEM]   health check\n\n"
      "Backend services (Admin, Directory, Auth, Keys, Mappings, Deployment) listen on\n"
      "--backend_addr; connectors dial --tunnel_addr. Both offer gRPC reflection and\n"
      "grpc.health.v1. Every flag is checked at start-up and every problem reported at\n"
      "once (exit status 2). --helpfull also lists Abseil's own flags.");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = IsCloudFlagsFile;
  usage.contains_helpshort_flags = IsCloudFlagsFile;
  usage.contains_helppackage_flags = IsCloudFlagsFile;
  usage.normalize_filename = [](absl::string_view filename) -> std::string {
    if (IsCloudFlagsFile(filename)) return std::string(kFlagsFile);
    return std::string(filename);
  };
  usage.version_string = [] { return absl::StrCat("cloud_svc ", kVersion, "\n"); };
  absl::SetFlagsUsageConfig(std::move(usage));
  std::vector<std::string> problems;
  std::string file = ConfigFileFromArgv(argc, argv);
  if (!file.empty()) problems = ApplyConfigFile(file);
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  // Read only from argv, so one named elsewhere (a --flagfile) was not read.
  if (absl::GetFlag(FLAGS_config) != file) {
    problems.push_back(absl::StrCat("--config \"", absl::GetFlag(FLAGS_config),
                                    "\" must be given on the command line itself"));
  }
  // cloud_svc takes flags only: a stray word is most often a value given to
  // a bool flag (`--insecure false`), which would otherwise mean the opposite.
  for (size_t i = 1; i < rest.size(); ++i) {
    problems.push_back(absl::StrCat("unexpected argument \"", rest[i],
                                    "\" (a bool flag takes --flag or --flag=false)"));
  }
  return problems;
}

CloudConfig CloudConfigFromFlags() {
  CloudConfig c;
  c.backend_addr = absl::GetFlag(FLAGS_backend_addr);
  c.tunnel_addr = absl::GetFlag(FLAGS_tunnel_addr);
  c.metrics_addr = absl::GetFlag(FLAGS_metrics_addr);
  c.ports_file = absl::GetFlag(FLAGS_ports_file);
  c.insecure = absl::GetFlag(FLAGS_insecure);
  c.backend_tls_cert = absl::GetFlag(FLAGS_backend_tls_cert);
  c.backend_tls_key = absl::GetFlag(FLAGS_backend_tls_key);
  c.tunnel_hostnames = absl::GetFlag(FLAGS_tunnel_hostnames);
  c.client_cert_validity = absl::GetFlag(FLAGS_client_cert_validity);
  c.data_dir = absl::GetFlag(FLAGS_data_dir);
  c.store = absl::GetFlag(FLAGS_store);
  c.store_password_file = absl::GetFlag(FLAGS_store_password_file);
  c.operator_token_file = absl::GetFlag(FLAGS_operator_token_file);
  c.bootstrap_dir = absl::GetFlag(FLAGS_bootstrap_dir);
  c.stream_credits = absl::GetFlag(FLAGS_stream_credits);
  c.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  c.peer_addr = absl::GetFlag(FLAGS_peer_addr);
  c.replica_id = absl::GetFlag(FLAGS_replica_id);
  c.replica_heartbeat = absl::GetFlag(FLAGS_replica_heartbeat);
  c.max_calls_per_connector = absl::GetFlag(FLAGS_max_calls_per_connector);
  c.max_calls_per_tenant = absl::GetFlag(FLAGS_max_calls_per_tenant);
  c.call_timeout = absl::GetFlag(FLAGS_call_timeout);
  c.stream_timeout = absl::GetFlag(FLAGS_stream_timeout);
  c.registration_key_ttl = absl::GetFlag(FLAGS_registration_key_ttl);
  c.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  c.auth_failures_per_user = absl::GetFlag(FLAGS_auth_failures_per_user);
  c.auth_failures_per_tenant = absl::GetFlag(FLAGS_auth_failures_per_tenant);
  c.auth_failure_window = absl::GetFlag(FLAGS_auth_failure_window);
  c.import_page_size = absl::GetFlag(FLAGS_import_page_size);
  c.import_hold_fraction = absl::GetFlag(FLAGS_import_hold_fraction);
  c.import_hold_minimum = absl::GetFlag(FLAGS_import_hold_minimum);
  c.import_full_interval = absl::GetFlag(FLAGS_import_full_interval);
  c.scheduler_tick = absl::GetFlag(FLAGS_scheduler_tick);
  c.import_timeout = absl::GetFlag(FLAGS_import_timeout);
  c.import_chunk_silence = absl::GetFlag(FLAGS_import_chunk_silence);
  c.import_threads = absl::GetFlag(FLAGS_import_threads);
  c.imports_per_tenant = absl::GetFlag(FLAGS_imports_per_tenant);
  c.import_queue = absl::GetFlag(FLAGS_import_queue);
  c.max_connectors_per_tenant = absl::GetFlag(FLAGS_max_connectors_per_tenant);
  c.max_mappings_per_tenant = absl::GetFlag(FLAGS_max_mappings_per_tenant);
  c.max_deployment_tokens_per_tenant = absl::GetFlag(FLAGS_max_deployment_tokens_per_tenant);
  c.max_devices_per_tenant = absl::GetFlag(FLAGS_max_devices_per_tenant);
  c.auth_throttle_buckets = absl::GetFlag(FLAGS_auth_throttle_buckets);
  c.store_threads = absl::GetFlag(FLAGS_store_threads);
  c.log_level = absl::GetFlag(FLAGS_log_level);
  c.log_format = absl::GetFlag(FLAGS_log_format);
  return c;
}

ProbeTarget ProbeTargetFromFlags() {
  return ProbeTarget{absl::GetFlag(FLAGS_probe), absl::GetFlag(FLAGS_probe_ca)};
}

}  // namespace dirbridge::cloud
