#include "cloud_svc/jobs/scheduler.h"

#include <random>

#include "common/log.h"

namespace dirbridge::cloud {

Scheduler::Scheduler(Store* store, Importer* importer, absl::Duration tick)
    : store_(store), importer_(importer), tick_(tick) {
  thread_ = std::thread([this] { Loop(); });
}

Scheduler::~Scheduler() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void Scheduler::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stop), tick_)) return;
    }
    RunDue();
  }
}

void Scheduler::RunDue() {
  absl::Time now = absl::Now();
  absl::StatusOr<std::vector<MappingRecord>> due = store_->DueMappings(now);
  if (!due.ok()) {
    spdlog::error("event=scheduler_error error=\"{}\"", due.status().message());
    return;
  }
  static thread_local std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  for (const MappingRecord& m : *due) {
    if (importer_->Running(m.mapping_id)) continue;
    // Book the next run first: a crash mid-import does not make the run
    // repeat in a loop at start-up.
    absl::Status st =
        store_->SetNextRun(m.tenant_id, m.mapping_id, now + m.sync_interval * jitter(rng));
    if (!st.ok()) continue;
    workers_.Schedule([this, m] {
      absl::StatusOr<v1::ImportReport> r = importer_->Run(m, /*incremental=*/true);
      if (!r.ok()) {
        spdlog::info("event=scheduled_import_failed mapping={} error=\"{}\"", m.mapping_id,
                     r.status().message());
      }
    });
  }
}

}  // namespace dirbridge::cloud
