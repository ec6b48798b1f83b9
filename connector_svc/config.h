#ifndef DIRBRIDGE_CONNECTOR_SVC_CONFIG_H_
#define DIRBRIDGE_CONNECTOR_SVC_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connector_svc/ldap/ldap_config.h"

namespace dirbridge::connector {

// The connector's config file (YAML, see deploy/connector.example.yaml).
// Immutable once loaded.
struct ConnectorConfig {
  // cloud.address: one HOST:PORT or a list of them (replicas). The tunnel
  // starts at a random one and moves to the next on failure or Goaway.
  std::vector<std::string> cloud_addresses;
  bool cloud_insecure = false;
  std::string cloud_ca_file;  // PEM; empty: the identity's pinned CA or system roots
  std::string state_dir;
  absl::Duration reconnect_max_backoff = absl::Seconds(60);
  absl::Duration drain_timeout = absl::Seconds(10);
  absl::Duration renew_check_interval = absl::Hours(1);
  int worker_threads = 16;
  std::string log_level = "info";
  std::string log_format = "text";
  std::string metrics_addr;  // empty: no metrics endpoint
  LdapConfig ldap;
};

// Reads and validates the file. Every problem is listed in one
// FAILED_PRECONDITION, each naming its key; unknown keys are problems too.
absl::StatusOr<ConnectorConfig> LoadConfig(const std::string& path);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_CONFIG_H_
