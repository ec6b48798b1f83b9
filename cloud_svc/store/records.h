#ifndef DIRBRIDGE_CLOUD_SVC_STORE_RECORDS_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_RECORDS_H_

// The rows of cloud_svc's durable state, shared by every Store part. Times
// are kept to the microsecond and durations to the second: a record read
// back compares equal (==) only at that precision.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dirbridge::cloud {

struct TenantRecord {
  std::string tenant_id;
  std::string name;
  absl::Time created_at;

  friend bool operator==(const TenantRecord&, const TenantRecord&) = default;
};

struct ConnectorRecord {
  std::string tenant_id;
  std::string connector_id;
  std::string name;
  absl::Time created_at;
  std::optional<absl::Time> last_seen;  // unset: never connected
  std::string version;
  std::string hostname;
  bool ldap_ok = false;
  std::string password_public_key;  // raw bytes
  unsigned protocol_revision = 0;

  friend bool operator==(const ConnectorRecord&, const ConnectorRecord&) = default;
};

enum class AlertKind { kConnectorNotConnected = 1, kImportFailed = 2, kImportHeld = 3 };

struct AlertRecord {
  std::string alert_id;
  std::string tenant_id;
  AlertKind kind = AlertKind::kConnectorNotConnected;
  std::string connector_id;
  std::string mapping_id;
  absl::Time raised_at;
  std::optional<absl::Time> cleared_at;
  std::string message;

  friend bool operator==(const AlertRecord&, const AlertRecord&) = default;
};

// An ekey as the cloud may hold it: wrapped under a connector's KEK.
struct EkeyRecord {
  std::string tenant_id;
  std::string user_id;
  std::string key_id;
  std::string wrapped;  // raw bytes
  uint32_t kek_version = 0;
  absl::Time created_at;

  friend bool operator==(const EkeyRecord&, const EkeyRecord&) = default;
};

struct MappingRecord {
  std::string tenant_id;
  std::string mapping_id;
  std::string name;
  std::string base_dn;
  std::vector<std::string> ou_dns;
  std::vector<std::string> group_dns;
  absl::Duration sync_interval = absl::Hours(24);
  int priority = 0;  // lower wins where mappings overlap
  absl::Time created_at;
  absl::Time next_run_at;
  std::string last_run_id;
  std::string held_run_id;  // an import waiting for ResolveHeldImport
  uint64_t held_count = 0;
  // Incremental sync: the highest change marker of the last good run, the
  // server it came from (markers of two servers do not compare), and when
  // the last full run completed.
  std::string watermark;
  std::string watermark_server;
  absl::Time last_full_at = absl::UnixEpoch();

  friend bool operator==(const MappingRecord&, const MappingRecord&) = default;
};

enum class UserState { kActive = 1, kNotInDirectory = 2 };

struct UserRecord {
  std::string tenant_id;
  std::string user_id;
  std::string mapping_id;
  std::string directory_id;  // entryUUID / objectGUID
  std::string dn;
  std::string username;
  std::string user_principal_name;
  std::string email;
  std::string display_name;
  std::vector<std::string> groups;
  bool disabled = false;
  UserState state = UserState::kActive;
  absl::Time imported_at;

  friend bool operator==(const UserRecord&, const UserRecord&) = default;
};

struct UpsertCounts {
  uint64_t added = 0;
  uint64_t updated = 0;
  uint64_t unchanged = 0;

  friend bool operator==(const UpsertCounts&, const UpsertCounts&) = default;
};

struct DeploymentToken {
  std::string tenant_id;
  std::string mapping_id;
  absl::Time expires_at;

  friend bool operator==(const DeploymentToken&, const DeploymentToken&) = default;
};

struct Activation {
  std::string user_id;
  bool user_created = false;
  std::string device_id;

  friend bool operator==(const Activation&, const Activation&) = default;
};

// One entry of a tenant's audit log: who did what to which object. `detail`
// is for people to read; like every other field it never holds a secret
// (a token, key or password), only ids and names.
struct AuditRecord {
  std::string tenant_id;
  absl::Time at;
  std::string actor;      // e.g. "admin", "connector:<id>", "backend"
  std::string action;     // e.g. "connector.delete"
  std::string object_id;  // the connector, mapping or user acted on
  std::string detail;

  friend bool operator==(const AuditRecord&, const AuditRecord&) = default;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_RECORDS_H_
