#include "cloud_svc/jobs/importer.h"

#include "cloud_svc/jobs/user_record.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/call_status.h"
#include "common/log.h"
#include "common/memory.h"
#include "common/metrics.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

// Chunks handed from the tunnel's thread to the importing thread.
struct ChunkQueue {
  absl::Mutex mu;
  std::deque<v1::SearchUsersResponse> chunks ABSL_GUARDED_BY(mu);
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);
};

}  // namespace

bool Importer::Running(const std::string& mapping_id) const {
  absl::MutexLock lock(&mu_);
  return running_.contains(mapping_id);
}

void Importer::Alert(const MappingRecord& m, AlertKind kind, const std::string& message) {
  AlertRecord a;
  a.alert_id = NewId();
  a.tenant_id = m.tenant_id;
  a.kind = kind;
  a.mapping_id = m.mapping_id;
  a.raised_at = absl::Now();
  a.message = message;
  absl::Status st = store_->RaiseAlert(a);
  if (!st.ok()) spdlog::error("event=store_error op=raise_alert error=\"{}\"", st.message());
}

void Importer::Clear(const MappingRecord& m, AlertKind kind) {
  store_->ClearAlerts(m.tenant_id, kind, "", m.mapping_id, absl::Now()).IgnoreError();
}

namespace {

// Markers of one server: AD's are numbers, OpenLDAP's ordered text.
bool MarkerAfter(const std::string& a, const std::string& b) {
  uint64_t x = 0, y = 0;
  if (absl::SimpleAtoi(a, &x) && absl::SimpleAtoi(b, &y)) return x > y;
  return a > b;
}

}  // namespace

absl::Status Importer::Stream(const MappingRecord& mapping, const std::string& run_id,
                              const std::string& base_dn, const std::string& group_dn,
                              const std::string& changed_since, absl::Time deadline,
                              UpsertCounts& counts, Marks& marks) {
  auto queue = std::make_shared<ChunkQueue>();
  CallHandlers handlers;
  handlers.on_chunk = [queue](v1::ResultChunk&& chunk) {
    absl::MutexLock lock(&queue->mu);
    queue->chunks.push_back(std::move(*chunk.mutable_search_users()));
  };
  handlers.on_done = [queue](absl::StatusOr<v1::CallResult> r) {
    absl::MutexLock lock(&queue->mu);
    queue->done = true;
    queue->status = r.ok() ? CallResultStatus(*r) : r.status();
  };
  v1::CallRequest request;
  v1::SearchUsersRequest* search = request.mutable_search_users();
  search->set_base_dn(base_dn);
  search->set_group_dn(group_dn);
  search->set_page_size(policy_.page_size);
  search->set_changed_since(changed_since);
  RouteOptions options;
  // A moment past the run's own limit, so that the wait below (which
  // names the limit) ends first; the router's deadline is the backstop.
  options.deadline = deadline + absl::Seconds(1);
  std::shared_ptr<RoutedCall> call =
      router_->Call(mapping.tenant_id, std::move(request), options, std::move(handlers));
  auto cancel = absl::MakeCleanup(
      [call] { call->Cancel(absl::CancelledError("the import stopped reading")); });
  while (true) {
    v1::SearchUsersResponse chunk;
    bool ready;
    {
      absl::MutexLock lock(&queue->mu);
      // Never an unbounded wait: the silence limit restarts with each
      // chunk, the overall one does not.
      absl::Time silent_until = absl::Now() + policy_.chunk_silence;
      ready = queue->mu.AwaitWithDeadline(
          absl::Condition(
              +[](ChunkQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu) {
                return q->done || !q->chunks.empty();
              },
              queue.get()),
          std::min(silent_until, deadline));
      if (ready && queue->chunks.empty()) {
        // The routed call carries the same deadline: when it is what ended
        // the call, say which limit it was.
        if (!absl::IsDeadlineExceeded(queue->status) ||
            absl::Now() + absl::Seconds(1) < deadline) {
          return queue->status;
        }
        ready = false;
      } else if (ready) {
        chunk = std::move(queue->chunks.front());
        queue->chunks.pop_front();
      }
    }
    if (!ready) {
      absl::Status why =
          absl::Now() + absl::Milliseconds(1) >= deadline
              ? absl::DeadlineExceededError(absl::StrCat(
                    "the import ran past its overall limit of ",
                    absl::FormatDuration(policy_.timeout), " (--import_timeout)"))
              : absl::DeadlineExceededError(absl::StrCat(
                    "the connector sent nothing for ", absl::FormatDuration(policy_.chunk_silence),
                    " (--import_chunk_silence)"));
      // Outside the queue's lock (the cancel runs on_done, which takes it),
      // and before the cleanup's own cancel, so the connector hears why.
      call->Cancel(why);
      return why;
    }
    if (!chunk.server().empty()) {
      if (!marks.server.empty() && marks.server != chunk.server()) marks.mixed_servers = true;
      marks.server = chunk.server();
    }
    if (MarkerAfter(chunk.watermark(), marks.watermark)) marks.watermark = chunk.watermark();
    std::vector<UserRecord> users;
    users.reserve(chunk.users_size());
    absl::Time now = absl::Now();
    for (const v1::User& u : chunk.users()) {
      if (u.id().empty()) continue;  // no stable id: cannot be tracked
      users.push_back(ToUserRecord(mapping.tenant_id, u, now));
    }
    ASSIGN_OR_RETURN(UpsertCounts c, store_->UpsertUsers(mapping, run_id, users));
    counts.added += c.added;
    counts.updated += c.updated;
    counts.unchanged += c.unchanged;
    spdlog::debug("event=import_chunk mapping={} users={}", mapping.mapping_id, users.size());
    // Stored: the connector may send the next one.
    call->GrantCredit(1);
  }
}

void Importer::UnmapIfDeleted(const MappingRecord& m) {
  absl::StatusOr<MappingRecord> now = store_->GetMapping(m.tenant_id, m.mapping_id);
  if (!absl::IsNotFound(now.status())) return;
  // A fresh run id has seen nobody: every ACTIVE user of the mapping is
  // marked, as DeleteMapping marked those before it.
  store_->ApplyRun(m, NewId(), absl::Now()).IgnoreError();
}

absl::Status Importer::RecordRun(MappingRecord ran) {
  absl::StatusOr<MappingRecord> now = store_->GetMapping(ran.tenant_id, ran.mapping_id);
  if (!now.ok()) return now.status();  // deleted while it ran: nothing to record
  if (now->base_dn != ran.base_dn || now->ou_dns != ran.ou_dns ||
      now->group_dns != ran.group_dns) {
    ran.watermark.clear();
    ran.watermark_server.clear();
  }
  return store_->SetMappingRun(ran);
}

absl::StatusOr<v1::ImportReport> Importer::Run(const MappingRecord& mapping, bool incremental) {
  {
    absl::MutexLock lock(&mu_);
    if (!running_.insert(mapping.mapping_id).second) {
      return absl::AbortedError(
          absl::StrCat("an import of mapping \"", mapping.name, "\" is already running"));
    }
  }
  auto done = absl::MakeCleanup([this, &mapping] {
    UnmapIfDeleted(mapping);
    ReleaseFreeMemory();
    absl::MutexLock lock(&mu_);
    running_.erase(mapping.mapping_id);
  });
  std::string run_id = NewId();
  spdlog::info("event=import_start tenant={} mapping={} run={}", mapping.tenant_id,
               mapping.mapping_id, run_id);
  std::vector<std::string> bases = mapping.ou_dns;
  if (bases.empty()) bases.push_back(mapping.base_dn);
  std::vector<std::string> groups = mapping.group_dns;
  if (groups.empty()) groups.push_back("");
  UpsertCounts counts;
  Marks marks;
  // One overall limit for the run, however many searches it makes.
  const absl::Time deadline = absl::Now() + policy_.timeout;
  bool incremental_ok = incremental && !mapping.watermark.empty() &&
                        !mapping.watermark_server.empty() &&
                        absl::Now() - mapping.last_full_at < policy_.full_interval;
  if (incremental_ok) {
    // Removals are not seen this way: nobody is marked, the next full run
    // settles them. A different server's markers do not compare: full run.
    marks.watermark = mapping.watermark;
    bool same_server = true;
    for (const std::string& base : bases) {
      for (const std::string& group : groups) {
        Marks m;
        absl::Status st =
            Stream(mapping, run_id, base, group, mapping.watermark, deadline, counts, m);
        if (!st.ok()) {
          Alert(mapping, AlertKind::kImportFailed,
                absl::StrCat("Incremental import of mapping \"", mapping.name,
                             "\" failed: ", st.message(), ". The next run tries again."));
          Metrics::Get().Add("dirbridge_imports_total", {{"result", "failed"}});
          return st;
        }
        if (!m.server.empty() && m.server != mapping.watermark_server) same_server = false;
        if (MarkerAfter(m.watermark, marks.watermark)) marks.watermark = m.watermark;
      }
    }
    if (same_server) {
      MappingRecord done = mapping;
      done.last_run_id = run_id;
      done.watermark = marks.watermark;
      RETURN_IF_ERROR(RecordRun(std::move(done)));
      Clear(mapping, AlertKind::kImportFailed);
      Metrics::Get().Add("dirbridge_imports_total", {{"result", "incremental"}});
      spdlog::info("event=import_done mapping={} incremental=1 entries={}", mapping.mapping_id,
                   counts.added + counts.updated + counts.unchanged);
      v1::ImportReport report;
      report.set_added(counts.added);
      report.set_updated(counts.updated);
      report.set_unchanged(counts.unchanged);
      report.set_incremental(true);
      return report;
    }
    spdlog::info("event=import_full_instead mapping={} reason=\"answered by another server\"",
                 mapping.mapping_id);
    run_id = NewId();
    counts = UpsertCounts{};
    marks = Marks{};
  }
  for (const std::string& base : bases) {
    for (const std::string& group : groups) {
      absl::Status st = Stream(mapping, run_id, base, group, "", deadline, counts, marks);
      if (!st.ok()) {
        std::string message = absl::StrCat(
            "Import of mapping \"", mapping.name, "\" failed after ", counts.added + counts.updated +
            counts.unchanged, " users: ", st.message(),
            ". No user was marked NOT_IN_DIRECTORY; the next run tries again.");
        spdlog::warn("event=import_failed mapping={} error=\"{}\"", mapping.mapping_id,
                     st.message());
        Alert(mapping, AlertKind::kImportFailed, message);
        Metrics::Get().Add("dirbridge_imports_total", {{"result", "failed"}});
        return absl::Status(st.code(), message);
      }
    }
  }
  return Complete(mapping, run_id, counts, marks);
}

absl::StatusOr<v1::ImportReport> Importer::Complete(MappingRecord mapping,
                                                    const std::string& run_id,
                                                    const UpsertCounts& counts,
                                                    const Marks& marks) {
  v1::ImportReport report;
  report.set_added(counts.added);
  report.set_updated(counts.updated);
  report.set_unchanged(counts.unchanged);
  report.set_complete(true);
  ASSIGN_OR_RETURN(uint64_t active, store_->CountActive(mapping));
  ASSIGN_OR_RETURN(uint64_t unseen, store_->CountUnseen(mapping, run_id));
  uint64_t seen = counts.added + counts.updated + counts.unchanged;
  uint64_t limit = std::max<uint64_t>(
      policy_.hold_minimum, static_cast<uint64_t>(std::ceil(policy_.hold_fraction * active)));
  mapping.last_run_id = run_id;
  Clear(mapping, AlertKind::kImportFailed);
  if ((seen == 0 && active > 0) || unseen > limit) {
    mapping.held_run_id = run_id;
    mapping.held_count = unseen;
    RETURN_IF_ERROR(store_->SetMappingRun(mapping));
    Alert(mapping, AlertKind::kImportHeld,
          absl::StrCat("Import of mapping \"", mapping.name, "\" would mark ", unseen, " of ",
                       active, " users NOT_IN_DIRECTORY (more than ", limit,
                       seen == 0 ? ", and it found no user at all" : "",
                       "). Nothing was marked. Check that the bind account can still read the "
                       "mapping's base DN, OUs and groups; then confirm or discard with "
                       "Mappings.ResolveHeldImport."));
    spdlog::warn("event=import_held mapping={} unseen={} active={}", mapping.mapping_id, unseen,
                 active);
    report.set_held(true);
    report.set_held_not_in_directory(unseen);
    Metrics::Get().Add("dirbridge_imports_total", {{"result", "held"}});
    return report;
  }
  ASSIGN_OR_RETURN(auto applied, store_->ApplyRun(mapping, run_id, absl::Now()));
  report.set_not_in_directory(applied.first);
  report.set_updated(report.updated() + applied.second);
  mapping.held_run_id.clear();
  mapping.held_count = 0;
  // A clean full run is the base of the next incremental ones.
  mapping.watermark = marks.mixed_servers ? "" : marks.watermark;
  mapping.watermark_server = marks.mixed_servers ? "" : marks.server;
  mapping.last_full_at = absl::Now();
  RETURN_IF_ERROR(RecordRun(mapping));
  Clear(mapping, AlertKind::kImportHeld);
  Metrics& m = Metrics::Get();
  m.Add("dirbridge_imports_total", {{"result", "complete"}});
  m.Add("dirbridge_imported_users_total", {{"change", "added"}}, report.added());
  m.Add("dirbridge_imported_users_total", {{"change", "updated"}}, report.updated());
  m.Add("dirbridge_imported_users_total", {{"change", "unchanged"}}, report.unchanged());
  m.Add("dirbridge_imported_users_total", {{"change", "not_in_directory"}},
        report.not_in_directory());
  spdlog::info("event=import_done mapping={} added={} updated={} unchanged={} not_in_directory={}",
               mapping.mapping_id, report.added(), report.updated(), report.unchanged(),
               report.not_in_directory());
  return report;
}

absl::StatusOr<v1::ImportReport> Importer::ResolveHeld(const MappingRecord& m, bool confirm) {
  {
    absl::MutexLock lock(&mu_);
    if (running_.contains(m.mapping_id)) {
      return absl::AbortedError("an import of this mapping is running; resolve after it");
    }
  }
  if (m.held_run_id.empty()) {
    return absl::FailedPreconditionError("this mapping has no held import");
  }
  if (m.last_run_id != m.held_run_id) {
    return absl::FailedPreconditionError(
        "a newer import ran since this one was held; run ImportUsers again");
  }
  v1::ImportReport report;
  report.set_complete(true);
  if (confirm) {
    ASSIGN_OR_RETURN(auto applied, store_->ApplyRun(m, m.held_run_id, absl::Now()));
    report.set_not_in_directory(applied.first);
    report.set_updated(applied.second);
  }
  MappingRecord cleared = m;
  cleared.held_run_id.clear();
  cleared.held_count = 0;
  RETURN_IF_ERROR(store_->SetMappingRun(cleared));
  Clear(m, AlertKind::kImportHeld);
  return report;
}

}  // namespace dirbridge::cloud
