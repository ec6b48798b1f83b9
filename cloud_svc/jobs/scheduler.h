#ifndef DIRBRIDGE_CLOUD_SVC_JOBS_SCHEDULER_H_
#define DIRBRIDGE_CLOUD_SVC_JOBS_SCHEDULER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cloud_svc/jobs/import_pool.h"
#include "cloud_svc/jobs/importer.h"

namespace dirbridge::cloud {

// Runs each mapping's import every sync_interval, with ±10% jitter so that
// mappings made together do not all run together. The next run time lives
// in the store, so a restart neither skips nor repeats a run. A run with no
// connector connected fails like any other (IMPORT_FAILED alert) and waits
// for its next turn. Runs go to the shared ImportPool; a tenant at its
// import limit is skipped (its run stays due) and tried again next tick,
// so the scheduler never queues behind one tenant.
class Scheduler {
 public:
  Scheduler(Store* store, Importer* importer, ImportPool* pool, absl::Duration tick);
  ~Scheduler();

 private:
  void Loop();
  void RunDue();

  Store* const store_;
  Importer* const importer_;
  const absl::Duration tick_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  ImportPool* const pool_;
  std::thread thread_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_JOBS_SCHEDULER_H_
