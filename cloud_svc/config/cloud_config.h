#ifndef DIRBRIDGE_CLOUD_SVC_CONFIG_CLOUD_CONFIG_H_
#define DIRBRIDGE_CLOUD_SVC_CONFIG_CLOUD_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace dirbridge::cloud {

// Every setting cloud_svc runs with. Each field is the flag of the same
// name (shared/API.md); the defaults here are the flags' defaults. Built
// once at start-up (CloudConfigFromFlags), checked with Validate(), and
// passed as const from then on: nothing changes it while the service runs.
struct CloudConfig {
  // Listeners, HOST:PORT (port 0: any free port, see ports_file).
  std::string backend_addr = "127.0.0.1:50051";
  std::string tunnel_addr = "0.0.0.0:50052";
  std::string metrics_addr;  // empty: no metrics endpoint
  std::string ports_file;    // empty: bound ports are only logged

  // One of N replicas (shared/DESIGN.md "Scale beyond one machine"): where
  // the others reach this one to forward calls. Empty: a single replica.
  std::string peer_addr;
  std::string replica_id;  // empty: made up at start (hostname-random)
  absl::Duration replica_heartbeat = absl::Seconds(2);

  // TLS. insecure is plaintext on both listeners; otherwise both files are
  // required (bootstrap_dir may create them for demo stacks).
  bool insecure = false;
  std::string backend_tls_cert;
  std::string backend_tls_key;
  std::vector<std::string> tunnel_hostnames = {"localhost", "127.0.0.1"};
  absl::Duration client_cert_validity = absl::Hours(24 * 90);

  std::string data_dir = "./cloud-data";
  // "sqlite" (one file under data_dir) or a libpq URI
  // postgresql://USER@HOST:PORT/DB for N replicas; never with a password,
  // which comes from store_password_file (the password alone) or PGPASSFILE.
  std::string store = "sqlite";
  std::string store_password_file;
  std::string operator_token_file;  // empty: Admin.CreateTenant is refused
  std::string bootstrap_dir;        // demo stacks only

  // Tunnel sessions.
  uint32_t stream_credits = 2;
  absl::Duration heartbeat_interval = absl::Seconds(10);
  absl::Duration registration_key_ttl = absl::Hours(24);
  absl::Duration drain_timeout = absl::Seconds(10);
  // What one connector and one tenant may hold (shared/DESIGN.md: a
  // connector is a tenant's machine).
  int max_calls_per_connector = 1024;
  int max_calls_per_tenant = 4096;
  absl::Duration call_timeout = absl::Seconds(30);
  absl::Duration stream_timeout = absl::Hours(1);

  // Failed-login throttle.
  int auth_failures_per_user = 10;
  int auth_failures_per_tenant = 1000;
  absl::Duration auth_failure_window = absl::Minutes(15);

  // Imports and their schedule.
  int import_page_size = 1000;
  double import_hold_fraction = 0.2;
  int import_hold_minimum = 10;
  absl::Duration import_full_interval = absl::Hours(24 * 7);
  absl::Duration scheduler_tick = absl::Seconds(10);
  // Each import's limits, and each tenant's share of the import workers
  // (jobs/importer.h, jobs/import_pool.h).
  absl::Duration import_timeout = absl::Hours(2);
  absl::Duration import_chunk_silence = absl::Seconds(60);
  int import_threads = 8;
  int imports_per_tenant = 2;
  int import_queue = 64;

  // What one tenant may hold (api/quotas.h), and the failed-login
  // throttle's memory over all tenants.
  int64_t max_connectors_per_tenant = 50;
  int64_t max_mappings_per_tenant = 200;
  int64_t max_deployment_tokens_per_tenant = 1000;
  int64_t max_devices_per_tenant = 1000000;
  int64_t auth_throttle_buckets = 100000;

  // Threads that run backend and presence work touching the store, so that
  // gRPC's own threads never wait on disk.
  int store_threads = 8;

  std::string log_level = "info";
  std::string log_format = "text";

  // Every problem with these values, one sentence each, naming the flag and
  // quoting the bad value and what is allowed. Empty: the config is usable.
  // Looks at the values only: files are read when the service starts.
  std::vector<std::string> Validate() const;

  friend bool operator==(const CloudConfig&, const CloudConfig&) = default;
};

// Validate()'s problems as one FAILED_PRECONDITION, one problem per line;
// OK when there are none.
absl::Status CheckCloudConfig(const CloudConfig& config);

// The problems as cloud_svc prints them on stderr before it exits.
std::string FormatConfigProblems(const std::vector<std::string>& problems);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_CONFIG_CLOUD_CONFIG_H_
