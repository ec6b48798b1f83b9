#include "cloud_svc/jobs/scheduler.h"

#include <random>

#include "common/log.h"

namespace dirbridge::cloud {

Scheduler::Scheduler(Store* store, Importer* importer, ImportPool* pool, absl::Duration tick)
    : store_(store), importer_(importer), tick_(tick), pool_(pool) {
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
    // A tenant at its limit waits for its own imports; the others go on.
    // Its run stays due, so the next tick tries it again.
    if (pool_->AtLimit(m.tenant_id)) {
      spdlog::debug("event=scheduled_import_deferred tenant={} mapping={}", m.tenant_id,
                    m.mapping_id);
      continue;
    }
    // Claimed before it is queued: of N replicas seeing the run due, one
    // books it and runs it. A crash mid-import does not make the run repeat
    // in a loop at start-up (the next run is in the store already).
    const absl::Time next = now + m.sync_interval * jitter(rng);
    absl::StatusOr<bool> claimed = store_->ClaimRun(m.tenant_id, m.mapping_id, m.next_run_at, next);
    if (!claimed.ok()) {
      spdlog::error("event=store_error op=claim_run mapping={} error=\"{}\"", m.mapping_id,
                    claimed.status().message());
      continue;
    }
    if (!*claimed) continue;  // another replica's, or rescheduled meanwhile
    absl::Status st = pool_->Submit(m.tenant_id, [this, m] {
      absl::StatusOr<v1::ImportReport> r = importer_->Run(m, /*incremental=*/true);
      if (!r.ok()) {
        spdlog::info("event=scheduled_import_failed mapping={} error=\"{}\"", m.mapping_id,
                     r.status().message());
      }
    });
    if (st.ok()) continue;
    // Full: give the run back so it stays due for the next tick (on any
    // replica), unless something has moved it since.
    absl::StatusOr<bool> back = store_->ClaimRun(m.tenant_id, m.mapping_id, next, m.next_run_at);
    if (!back.ok()) {
      spdlog::error("event=store_error op=unclaim_run mapping={} error=\"{}\"", m.mapping_id,
                    back.status().message());
    }
  }
}

}  // namespace dirbridge::cloud
