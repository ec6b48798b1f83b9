#ifndef DIRBRIDGE_CLOUD_SVC_JOBS_IMPORTER_H_
#define DIRBRIDGE_CLOUD_SVC_JOBS_IMPORTER_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cloud_svc/routing/router.h"
#include "cloud_svc/store/store.h"
#include "dirbridge/v1/mappings.pb.h"

namespace dirbridge::cloud {

struct ImportPolicy {
  int page_size = 1000;
  // An import that would mark more than max(hold_minimum, hold_fraction of
  // the mapping's users) NOT_IN_DIRECTORY, or that finds nobody where there
  // were users, is held instead.
  double hold_fraction = 0.2;
  uint64_t hold_minimum = 10;
  // A run's overall limit (--import_timeout), over all its bases and
  // groups, and the longest silence between two chunks, or before the
  // first (--import_chunk_silence). Past either the run is cancelled at
  // the connector and fails DEADLINE_EXCEEDED naming the limit: no worker
  // is held by a connector that accepts a search and never answers.
  absl::Duration timeout = absl::Hours(2);
  absl::Duration chunk_silence = absl::Seconds(60);
  // Incremental runs until a full run is this old; then a full run, which
  // is what finds removals.
  absl::Duration full_interval = absl::Hours(24 * 7);
};

// Reads a mapping's users through a connector into the store.
//
// Users are upserted chunk by chunk (a transaction each), keyed by the
// directory's stable id; a chunk's credit goes back to the connector only
// once it is stored, so the import holds a few chunks at most. Only a
// complete run changes users' states, and only when it passes the hold
// rule: a failed, cancelled or partial run, or a suspicious one, marks
// nobody NOT_IN_DIRECTORY. Never two runs of one mapping at once. A run
// ends by its limits (ImportPolicy) at the latest, whoever asked for it:
// a backend that stops waiting does not stop it. Thread-safe; Run blocks,
// always with a deadline.
class Importer {
 public:
  Importer(Store* store, Router* router, ImportPolicy policy)
      : store_(store), router_(router), policy_(policy) {}

  // ABORTED while another run of the mapping is under way. `incremental`:
  // read only entries changed since the last good run's watermark, when
  // that watermark is from the same server and a full run is not due
  // (otherwise a full run).
  absl::StatusOr<v1::ImportReport> Run(const MappingRecord& mapping, bool incremental = false);
  // Applies (confirm) or drops the held run of the mapping.
  absl::StatusOr<v1::ImportReport> ResolveHeld(const MappingRecord& mapping, bool confirm);
  bool Running(const std::string& mapping_id) const;

 private:
  // SetMappingRun for a run of `ran`, unless UpdateMapping changed the
  // mapping's scope while it ran: then its watermark (of the old scope) is
  // not written, and the next run is a full one.
  absl::Status RecordRun(MappingRecord ran);
  // A run of a mapping DeleteMapping removed while it ran wrote its users
  // under a mapping that is gone, ACTIVE: marks them NOT_IN_DIRECTORY, as
  // the delete did the others.
  void UnmapIfDeleted(const MappingRecord& m);
  // What one run has seen of the directory's change markers.
  struct Marks {
    std::string watermark;
    std::string server;
    bool mixed_servers = false;
  };
  absl::Status Stream(const MappingRecord& mapping, const std::string& run_id,
                      const std::string& base_dn, const std::string& group_dn,
                      const std::string& changed_since, absl::Time deadline,
                      UpsertCounts& counts, Marks& marks);
  absl::StatusOr<v1::ImportReport> Complete(MappingRecord mapping, const std::string& run_id,
                                            const UpsertCounts& counts, const Marks& marks);
  void Alert(const MappingRecord& mapping, AlertKind kind, const std::string& message);
  void Clear(const MappingRecord& mapping, AlertKind kind);

  Store* const store_;
  Router* const router_;
  const ImportPolicy policy_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> running_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_JOBS_IMPORTER_H_
