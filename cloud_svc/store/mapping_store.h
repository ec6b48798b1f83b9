#ifndef DIRBRIDGE_CLOUD_SVC_STORE_MAPPING_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_MAPPING_STORE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cloud_svc/store/records.h"

namespace dirbridge::cloud {

// Mappings (which part of a directory a tenant imports) and their schedule.
// A tenant's mappings are ranked by priority, lower first: where two overlap
// the older one wins. Every method that names a mapping by tenant and id
// treats another tenant's mapping as unknown. Implementations are
// thread-safe. Any method may also fail UNAVAILABLE (busy or unreachable:
// worth a retry) or INTERNAL.
class MappingStore {
 public:
  virtual ~MappingStore() = default;

  // Stores the mapping with a priority after every existing mapping of the
  // tenant (whatever `mapping.priority` said) and returns it as stored.
  // ALREADY_EXISTS when the id is taken; FAILED_PRECONDITION for an unknown
  // tenant.
  virtual absl::StatusOr<MappingRecord> CreateMapping(MappingRecord mapping) = 0;
  // NOT_FOUND for an unknown or another tenant's mapping.
  virtual absl::StatusOr<MappingRecord> GetMapping(absl::string_view tenant_id,
                                                   absl::string_view mapping_id) = 0;
  // The tenant's mappings in priority order (the winner first).
  virtual absl::StatusOr<std::vector<MappingRecord>> ListMappings(absl::string_view tenant_id) = 0;
  // Every tenant's mappings whose next run is due (next_run_at <= now), the
  // most overdue first (ties by mapping id).
  virtual absl::StatusOr<std::vector<MappingRecord>> DueMappings(absl::Time now) = 0;
  // Records the outcome of a run: last_run_id, held_run_id, held_count,
  // watermark, watermark_server and last_full_at of the mapping named by
  // tenant_id and mapping_id; its other fields stay as stored. NOT_FOUND as
  // GetMapping.
  virtual absl::Status SetMappingRun(const MappingRecord& mapping) = 0;
  // NOT_FOUND as GetMapping.
  virtual absl::Status SetNextRun(absl::string_view tenant_id, absl::string_view mapping_id,
                                  absl::Time next_run_at) = 0;
  // Books the run that DueMappings reported as due at `due_at`: sets
  // next_run_at to `next_run_at` only if it still is `due_at`, and says
  // whether it did. Of any number of replicas claiming one due run at once,
  // exactly one gets true: a scheduled import runs once, not once per
  // replica. NOT_FOUND as GetMapping.
  virtual absl::StatusOr<bool> ClaimRun(absl::string_view tenant_id,
                                        absl::string_view mapping_id, absl::Time due_at,
                                        absl::Time next_run_at) = 0;
  // Mappings.UpdateMapping: replaces the definition of the mapping named by
  // tenant_id and mapping_id (name, base_dn, ou_dns, group_dns,
  // sync_interval, next_run_at) and its watermark and watermark_server
  // (the caller clears them when the scope changed: the next run is a full
  // one); priority, created_at and the run fields stay as stored. Returns
  // the mapping as stored. NOT_FOUND as GetMapping.
  virtual absl::StatusOr<MappingRecord> UpdateMapping(const MappingRecord& mapping) = 0;
  // Mappings.DeleteMapping, in one transaction: the mapping and its
  // deployment tokens are gone (so are its scheduled runs); its users stay,
  // with their devices and ekeys and still naming it, and those ACTIVE
  // become NOT_IN_DIRECTORY with imported_at = now. A mapping that covers
  // them later takes them over (no mapping's priority beats it). Returns
  // how many users it marked. NOT_FOUND as GetMapping.
  virtual absl::StatusOr<uint64_t> DeleteMapping(absl::string_view tenant_id,
                                                 absl::string_view mapping_id,
                                                 absl::Time now) = 0;
  // The tenant's mappings (what a quota counts); 0 for an unknown tenant.
  virtual absl::StatusOr<uint64_t> CountMappings(absl::string_view tenant_id) = 0;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_MAPPING_STORE_H_
