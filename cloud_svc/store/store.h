#ifndef DIRBRIDGE_CLOUD_SVC_STORE_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dirbridge::cloud {

struct TenantRecord {
  std::string tenant_id;
  std::string name;
  absl::Time created_at;
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
  std::string password_public_key;
  unsigned protocol_revision = 0;
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
};

// An ekey as the cloud may hold it: wrapped under a connector's KEK.
struct EkeyRecord {
  std::string tenant_id;
  std::string user_id;
  std::string key_id;
  std::string wrapped;
  uint32_t kek_version = 0;
  absl::Time created_at;
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
};

struct UpsertCounts {
  uint64_t added = 0;
  uint64_t updated = 0;
  uint64_t unchanged = 0;
};

struct DeploymentToken {
  std::string tenant_id;
  std::string mapping_id;
  absl::Time expires_at;
};

struct Activation {
  std::string user_id;
  bool user_created = false;
  std::string device_id;
};

// cloud_svc's durable state. Every query that reads or changes a tenant's
// objects takes the tenant id, so one tenant's objects are NOT_FOUND to
// another. Secrets arrive already hashed (Sha256Hex); the store never sees a
// token, key or credential in clear. Implementations are thread-safe.
class Store {
 public:
  virtual ~Store() = default;

  virtual absl::Status CreateTenant(const TenantRecord& tenant,
                                    absl::string_view token_hash) = 0;
  // NOT_FOUND for an unknown hash.
  virtual absl::StatusOr<TenantRecord> TenantByTokenHash(
      absl::string_view token_hash) = 0;

  virtual absl::Status CreateConnector(const ConnectorRecord& connector) = 0;
  // NOT_FOUND for unknown, deleted, or another tenant's connector.
  virtual absl::StatusOr<ConnectorRecord> GetConnector(
      absl::string_view tenant_id, absl::string_view connector_id) = 0;
  virtual absl::StatusOr<std::vector<ConnectorRecord>> ListConnectors(
      absl::string_view tenant_id) = 0;
  // Marks it deleted for good: its credential and registration key stop
  // working, and it is gone from every listing.
  virtual absl::Status DeleteConnector(absl::string_view tenant_id,
                                       absl::string_view connector_id) = 0;

  // Replaces any earlier key of the connector (asking again revokes).
  virtual absl::Status SetRegistrationKey(absl::string_view tenant_id,
                                          absl::string_view connector_id,
                                          absl::string_view key_hash,
                                          absl::Time expires_at) = 0;
  // Atomically uses up a registration key and installs the connector's new
  // credential (replacing an older one). Unknown, used, expired or revoked
  // keys, and deleted connectors, all give the same PERMISSION_DENIED.
  virtual absl::StatusOr<ConnectorRecord> RedeemRegistrationKey(
      absl::string_view key_hash, absl::Time now,
      absl::string_view credential_hash) = 0;
  // NOT_FOUND for an unknown credential or a deleted connector.
  virtual absl::StatusOr<ConnectorRecord> ConnectorByCredentialHash(
      absl::string_view credential_hash) = 0;
  // What a connector said of itself on its latest connect, and when.
  virtual absl::Status RecordConnection(const ConnectorRecord& connector) = 0;
  virtual absl::Status TouchConnector(absl::string_view tenant_id,
                                      absl::string_view connector_id,
                                      absl::Time last_seen, bool ldap_ok) = 0;

  // Raises an alert unless one of the same kind for the same object stands.
  virtual absl::Status RaiseAlert(const AlertRecord& alert) = 0;
  // Clears every standing alert of that kind for that connector / mapping.
  virtual absl::Status ClearAlerts(absl::string_view tenant_id, AlertKind kind,
                                   absl::string_view connector_id,
                                   absl::string_view mapping_id,
                                   absl::Time cleared_at) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<AlertRecord>> ListAlerts(
      absl::string_view tenant_id, bool active_only) = 0;

  // The user's current ekey. NOT_FOUND when it has none.
  virtual absl::StatusOr<EkeyRecord> CurrentEkey(absl::string_view tenant_id,
                                                 absl::string_view user_id) = 0;
  // Stores an ekey as the user's current one. Without `replace`, a user who
  // already has one keeps it and that one is returned (two provisions racing
  // end with one ekey); with it, the new one becomes current and the old one
  // is kept for data it still protects.
  virtual absl::StatusOr<EkeyRecord> PutEkey(const EkeyRecord& ekey, bool replace) = 0;
  // The current ekeys of these users; users without one are left out.
  virtual absl::StatusOr<std::vector<EkeyRecord>> CurrentEkeys(
      absl::string_view tenant_id, const std::vector<std::string>& user_ids) = 0;

  // Mappings. CreateMapping sets the priority after every existing mapping
  // of the tenant (the older wins).
  virtual absl::StatusOr<MappingRecord> CreateMapping(MappingRecord mapping) = 0;
  virtual absl::StatusOr<MappingRecord> GetMapping(absl::string_view tenant_id,
                                                   absl::string_view mapping_id) = 0;
  virtual absl::StatusOr<std::vector<MappingRecord>> ListMappings(absl::string_view tenant_id) = 0;
  // Every tenant's mappings whose next run is due.
  virtual absl::StatusOr<std::vector<MappingRecord>> DueMappings(absl::Time now) = 0;
  // Records the outcome of a run (last_run_id, held_run_id, held_count,
  // watermark, watermark_server, last_full_at).
  virtual absl::Status SetMappingRun(const MappingRecord& mapping) = 0;
  virtual absl::Status SetNextRun(absl::string_view tenant_id, absl::string_view mapping_id,
                                  absl::Time next_run_at) = 0;

  // Imports: each call is one transaction, so a crash leaves whole chunks.
  // Users are keyed by directory id: a renamed or moved user is updated,
  // never duplicated. A user owned by an older mapping stays its.
  virtual absl::StatusOr<UpsertCounts> UpsertUsers(const MappingRecord& mapping,
                                                   absl::string_view run_id,
                                                   const std::vector<UserRecord>& users) = 0;
  // Users of the mapping, ACTIVE, that `run_id` did not see.
  virtual absl::StatusOr<uint64_t> CountUnseen(const MappingRecord& mapping,
                                               absl::string_view run_id) = 0;
  virtual absl::StatusOr<uint64_t> CountActive(const MappingRecord& mapping) = 0;
  // Completes a run in one transaction: users it did not see become
  // NOT_IN_DIRECTORY, users it saw that were NOT_IN_DIRECTORY come back.
  // Returns {marked, reactivated}.
  virtual absl::StatusOr<std::pair<uint64_t, uint64_t>> ApplyRun(const MappingRecord& mapping,
                                                                 absl::string_view run_id,
                                                                 absl::Time now) = 0;
  // Ordered by user_id, after `after_user_id`.
  virtual absl::StatusOr<std::vector<UserRecord>> ListUsers(absl::string_view tenant_id,
                                                            absl::string_view mapping_id,
                                                            absl::string_view after_user_id,
                                                            int limit) = 0;

  // Deployment tokens, stored by hash; older ones stay valid until expiry.
  virtual absl::Status CreateDeploymentToken(absl::string_view token_hash,
                                             const DeploymentToken& token) = 0;
  // NOT_FOUND for an unknown hash.
  virtual absl::StatusOr<DeploymentToken> GetDeploymentToken(absl::string_view token_hash) = 0;
  // Creates the user (once, whatever the concurrency) and records a device.
  virtual absl::StatusOr<Activation> Activate(const MappingRecord& mapping, const UserRecord& user,
                                              absl::string_view device_name, absl::Time now) = 0;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_STORE_H_
