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
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_STORE_H_
