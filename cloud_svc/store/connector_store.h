#ifndef DIRBRIDGE_CLOUD_SVC_STORE_CONNECTOR_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_CONNECTOR_STORE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cloud_svc/store/records.h"

namespace dirbridge::cloud {

// Connectors, their registration keys and their credentials. Every method
// that takes a tenant id treats another tenant's connector as unknown
// (NOT_FOUND, or absent from a listing). A deleted connector is unknown
// everywhere, for good; its id is never reused. Keys and credentials arrive
// hashed (Sha256Hex). Implementations are thread-safe. Any method may also
// fail UNAVAILABLE (busy or unreachable: worth a retry) or INTERNAL.
class ConnectorStore {
 public:
  virtual ~ConnectorStore() = default;

  // Stores tenant_id, connector_id, name and created_at; the rest starts
  // empty (never connected). ALREADY_EXISTS when the id is taken, also by a
  // deleted connector; FAILED_PRECONDITION for an unknown tenant.
  virtual absl::Status CreateConnector(const ConnectorRecord& connector) = 0;
  // NOT_FOUND for unknown, deleted, or another tenant's connector.
  virtual absl::StatusOr<ConnectorRecord> GetConnector(absl::string_view tenant_id,
                                                       absl::string_view connector_id) = 0;
  // The tenant's connectors, oldest first (ties by id); empty for a tenant
  // with none or an unknown tenant.
  virtual absl::StatusOr<std::vector<ConnectorRecord>> ListConnectors(
      absl::string_view tenant_id) = 0;
  // Marks it deleted for good: its credential and registration key stop
  // working, and it is gone from every listing. NOT_FOUND as GetConnector.
  virtual absl::Status DeleteConnector(absl::string_view tenant_id,
                                       absl::string_view connector_id) = 0;

  // Replaces any earlier key of the connector (asking again revokes).
  // NOT_FOUND as GetConnector.
  virtual absl::Status SetRegistrationKey(absl::string_view tenant_id,
                                          absl::string_view connector_id,
                                          absl::string_view key_hash,
                                          absl::Time expires_at) = 0;
  // Atomically uses up a registration key and installs the connector's new
  // credential (replacing an older one); returns the connector. Unknown,
  // used, expired (expires_at <= now) or revoked keys, and deleted
  // connectors, all give the same PERMISSION_DENIED; a refused key is used
  // up too, so an expired key cannot be tried again. Of any number of
  // concurrent redeems of one key, exactly one succeeds.
  virtual absl::StatusOr<ConnectorRecord> RedeemRegistrationKey(
      absl::string_view key_hash, absl::Time now, absl::string_view credential_hash) = 0;
  // NOT_FOUND for an unknown or replaced credential or a deleted connector.
  virtual absl::StatusOr<ConnectorRecord> ConnectorByCredentialHash(
      absl::string_view credential_hash) = 0;
  // What a connector said of itself on its latest connect, and when (now
  // when last_seen is unset): sets last_seen, version, hostname, ldap_ok,
  // password_public_key and protocol_revision. NOT_FOUND as GetConnector.
  virtual absl::Status RecordConnection(const ConnectorRecord& connector) = 0;
  // Sets last_seen and ldap_ok alone. NOT_FOUND as GetConnector.
  virtual absl::Status TouchConnector(absl::string_view tenant_id,
                                      absl::string_view connector_id, absl::Time last_seen,
                                      bool ldap_ok) = 0;
  // The tenant's connectors that are not deleted (what a quota counts); 0
  // for an unknown tenant.
  virtual absl::StatusOr<uint64_t> CountConnectors(absl::string_view tenant_id) = 0;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_CONNECTOR_STORE_H_
