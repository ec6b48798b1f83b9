#include "cloud_svc/config/cloud_config.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "cloud_svc/store/postgres/pg_uri.h"

namespace dirbridge::cloud {
namespace {

// What spdlog::level::from_str understands; anything else silently turns
// logging off, which is why a typo must be refused here.
constexpr absl::string_view kLogLevels[] = {"trace", "debug", "info",     "warn", "warning",
                                            "error", "err",   "critical", "off"};

// gRPC's listening addresses: HOST:PORT, [IPv6]:PORT, or a unix: socket.
// An unbracketed IPv6 address is refused because gRPC would read its last
// group as the port.
bool IsListenAddress(absl::string_view addr) {
  if (absl::ConsumePrefix(&addr, "unix:") || absl::ConsumePrefix(&addr, "unix-abstract:")) {
    return !addr.empty();
  }
  absl::string_view host;
  absl::string_view port;
  if (absl::StartsWith(addr, "[")) {
    size_t close = addr.find("]:");
    if (close == absl::string_view::npos) return false;
    host = addr.substr(1, close - 1);
    port = addr.substr(close + 2);
  } else {
    size_t colon = addr.rfind(':');
    if (colon == absl::string_view::npos) return false;
    host = addr.substr(0, colon);
    port = addr.substr(colon + 1);
    if (absl::StrContains(host, ':')) return false;
  }
  int n = 0;
  bool digits = !port.empty() && std::all_of(port.begin(), port.end(), absl::ascii_isdigit);
  return !host.empty() && digits && absl::SimpleAtoi(port, &n) && n >= 0 && n <= 65535;
}

// Collects problems, each phrased `--flag must ..., not VALUE`.
class Problems {
 public:
  void Add(std::string problem) { list_.push_back(std::move(problem)); }

  void IntRange(absl::string_view flag, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) Add(absl::StrCat("--", flag, " must be from ", lo, " to ", hi, ", not ", v));
  }
  void IntAtLeast(absl::string_view flag, int64_t v, int64_t lo) {
    if (v < lo) Add(absl::StrCat("--", flag, " must be at least ", lo, ", not ", v));
  }
  void DurationAtLeast(absl::string_view flag, absl::Duration v, absl::Duration lo) {
    if (v < lo) {
      Add(absl::StrCat("--", flag, " must be at least ", absl::FormatDuration(lo), ", not ",
                       absl::FormatDuration(v)));
    }
  }
  void DurationPositive(absl::string_view flag, absl::Duration v) {
    if (v <= absl::ZeroDuration()) {
      Add(absl::StrCat("--", flag, " must be a positive duration such as 10s, not ",
                       absl::FormatDuration(v)));
    }
  }
  void Address(absl::string_view flag, const std::string& v, bool optional) {
    if (v.empty()) {
      if (!optional) Add(absl::StrCat("--", flag, " must be HOST:PORT, not empty"));
    } else if (!IsListenAddress(v)) {
      Add(absl::StrCat("--", flag, " must be HOST:PORT (port 0 to 65535; [::1]:PORT for IPv6), not \"",
                       v, "\""));
    }
  }

  std::vector<std::string> Take() { return std::move(list_); }

 private:
  std::vector<std::string> list_;
};

}  // namespace

std::vector<std::string> CloudConfig::Validate() const {
  Problems p;
  p.Address("backend_addr", backend_addr, /*optional=*/false);
  p.Address("tunnel_addr", tunnel_addr, /*optional=*/false);
  p.Address("metrics_addr", metrics_addr, /*optional=*/true);
  p.Address("peer_addr", peer_addr, /*optional=*/true);
  if (data_dir.empty()) p.Add("--data_dir must name a directory, not empty");
  if (store != "sqlite") {
    // CheckPostgresUri never quotes a URI that carries a password.
    if (absl::Status st = CheckPostgresUri(store); !st.ok()) p.Add(std::string(st.message()));
  } else if (!store_password_file.empty()) {
    p.Add("--store_password_file is for a PostgreSQL --store, not sqlite");
  }
  if (store == "sqlite" && !peer_addr.empty()) {
    p.Add("--peer_addr makes this one of N replicas, which share a PostgreSQL --store; "
          "with sqlite there is one replica");
  }

  bool have_cert = !backend_tls_cert.empty();
  bool have_key = !backend_tls_key.empty();
  if (!insecure && !have_cert && !have_key) {
    p.Add("--backend_tls_cert and --backend_tls_key are required unless --insecure");
  } else if (have_cert != have_key) {
    p.Add(have_cert ? "--backend_tls_key is required with --backend_tls_cert"
                    : "--backend_tls_cert is required with --backend_tls_key");
  }
  for (const std::string& name : tunnel_hostnames) {
    if (name.empty()) {
      p.Add(absl::StrCat("--tunnel_hostnames must not have an empty entry, not \"",
                         absl::StrJoin(tunnel_hostnames, ","), "\""));
      break;
    }
  }
  p.DurationPositive("client_cert_validity", client_cert_validity);

  p.IntRange("stream_credits", stream_credits, 1, 64);
  // Faster than this, pings are most of what a tunnel carries.
  p.DurationAtLeast("heartbeat_interval", heartbeat_interval, absl::Milliseconds(50));
  p.DurationAtLeast("replica_heartbeat", replica_heartbeat, absl::Milliseconds(100));
  if (replica_id.size() > 64 ||
      !std::all_of(replica_id.begin(), replica_id.end(), [](char ch) {
        return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' ||
               ch == '_';
      })) {
    p.Add(absl::StrCat("--replica_id takes letters, digits, '.', '-' and '_', at most 64, not \"",
                       absl::CEscape(replica_id.substr(0, 80)), "\""));
  }
  p.DurationPositive("registration_key_ttl", registration_key_ttl);
  p.DurationAtLeast("drain_timeout", drain_timeout, absl::ZeroDuration());
  p.IntRange("max_calls_per_connector", max_calls_per_connector, 1, 100000);
  p.IntRange("max_calls_per_tenant", max_calls_per_tenant, 1, 1000000);
  p.DurationAtLeast("call_timeout", call_timeout, absl::Milliseconds(100));
  p.DurationAtLeast("stream_timeout", stream_timeout, absl::Seconds(1));

  p.IntAtLeast("auth_failures_per_user", auth_failures_per_user, 1);
  p.IntAtLeast("auth_failures_per_tenant", auth_failures_per_tenant, 1);
  p.DurationPositive("auth_failure_window", auth_failure_window);

  p.IntRange("import_page_size", import_page_size, 1, 10000);
  // Written so that NaN fails too.
  if (!(import_hold_fraction >= 0 && import_hold_fraction <= 1)) {
    p.Add(absl::StrCat("--import_hold_fraction must be from 0 to 1, not ", import_hold_fraction));
  }
  p.IntAtLeast("import_hold_minimum", import_hold_minimum, 0);
  p.DurationAtLeast("import_full_interval", import_full_interval, absl::ZeroDuration());
  p.DurationAtLeast("scheduler_tick", scheduler_tick, absl::Milliseconds(50));
  p.DurationAtLeast("import_timeout", import_timeout, absl::Seconds(1));
  p.DurationAtLeast("import_chunk_silence", import_chunk_silence, absl::Milliseconds(100));
  if (import_chunk_silence > import_timeout) {
    p.Add(absl::StrCat("--import_chunk_silence (", absl::FormatDuration(import_chunk_silence),
                       ") must not be longer than --import_timeout (",
                       absl::FormatDuration(import_timeout), ")"));
  }
  p.IntRange("import_threads", import_threads, 2, 256);
  // Below the workers, so that no tenant holds all of them.
  if (imports_per_tenant < 1 || imports_per_tenant >= import_threads) {
    p.Add(absl::StrCat("--imports_per_tenant must be from 1 to --import_threads - 1 (",
                       import_threads - 1, "), so that no tenant holds every import worker, not ",
                       imports_per_tenant));
  }
  p.IntRange("import_queue", import_queue, 1, 100000);
  p.IntRange("max_connectors_per_tenant", max_connectors_per_tenant, 1, 100000);
  p.IntRange("max_mappings_per_tenant", max_mappings_per_tenant, 1, 100000);
  p.IntRange("max_deployment_tokens_per_tenant", max_deployment_tokens_per_tenant, 1, 10000000);
  p.IntRange("max_devices_per_tenant", max_devices_per_tenant, 1, 1000000000);
  p.IntRange("auth_throttle_buckets", auth_throttle_buckets, 1000, 100000000);

  p.IntRange("store_threads", store_threads, 1, 256);

  if (std::find(std::begin(kLogLevels), std::end(kLogLevels), log_level) == std::end(kLogLevels)) {
    p.Add(absl::StrCat("--log_level must be trace, debug, info, warn, error, critical or off, not \"",
                       log_level, "\""));
  }
  if (log_format != "text" && log_format != "json") {
    p.Add(absl::StrCat("--log_format must be text or json, not \"", log_format, "\""));
  }
  return p.Take();
}

absl::Status CheckCloudConfig(const CloudConfig& config) {
  std::vector<std::string> problems = config.Validate();
  if (problems.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(FormatConfigProblems(problems));
}

std::string FormatConfigProblems(const std::vector<std::string>& problems) {
  return absl::StrCat("cloud_svc: ", problems.size(),
                      problems.size() == 1 ? " problem" : " problems",
                      " with the flags:\n  ", absl::StrJoin(problems, "\n  "));
}

}  // namespace dirbridge::cloud
