#include "cloud_svc/routing/router.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "common/call_kind.h"
#include "common/call_status.h"
#include "common/log.h"
#include "common/metrics.h"

namespace dirbridge::cloud {

struct Router::Attempt {
  std::string tenant_id;
  v1::CallRequest request;
  RouteOptions options;
  CallHandlers handlers;
  std::shared_ptr<RoutedCall> call;
  std::string tried;  // connector of the first attempt
  // The first attempt's target, when the call never reached it (a replica
  // out of reach): the retry may go to the same connector elsewhere.
  std::shared_ptr<CallTarget> unreached;
  bool retried = false;
};

void RoutedCall::Cancel(const absl::Status& why) {
  std::shared_ptr<CallTarget> target;
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    if (done_) return;
    target = target_;
    id = call_id_;
    if (id == 0) {
      cancelled_ = why;
      return;
    }
  }
  if (target) target->CancelCall(id, why);
}

void RoutedCall::GrantCredit(uint32_t n) {
  std::shared_ptr<CallTarget> target;
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    if (done_) return;
    target = target_;
    id = call_id_;
  }
  if (target && id != 0) target->GrantCredit(id, n);
}

std::shared_ptr<RoutedCall> Router::Call(const std::string& tenant_id,
                                         v1::CallRequest request,
                                         const RouteOptions& options,
                                         CallHandlers handlers) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    int& tenant_calls = in_flight_by_tenant_[tenant_id];
    if (draining_) {
      refused = absl::UnavailableError("cloud_svc is shutting down");
    } else if (tenant_calls >= options_.max_calls_per_tenant) {
      refused = absl::ResourceExhaustedError(
          absl::StrCat("this tenant already has ", tenant_calls,
                       " calls in flight (--max_calls_per_tenant); retry with backoff"));
    } else {
      ++tenant_calls;
      ++in_flight_;
    }
    if (tenant_calls == 0) in_flight_by_tenant_.erase(tenant_id);
  }
  if (!refused.ok()) {
    handlers.on_done(refused);
    return std::make_shared<RoutedCall>();
  }
  // Counted until its one outcome is delivered; measured too.
  const char* kind = CallKindName(request.request_case());
  absl::Time started = absl::Now();
  handlers.on_done = [this, kind, started, tenant_id, done = std::move(handlers.on_done)](
                         absl::StatusOr<v1::CallResult> result) {
    absl::StatusCode code = !result.ok() ? result.status().code()
                                         : CallResultStatus(*result).code();
    Metrics::Get().Add("dirbridge_calls_total",
                       {{"method", kind}, {"code", absl::StatusCodeToString(code)}});
    Metrics::Get().Observe("dirbridge_call_seconds", {{"method", kind}},
                           absl::ToDoubleSeconds(absl::Now() - started));
    done(std::move(result));
    absl::MutexLock lock(&mu_);
    --in_flight_;
    auto it = in_flight_by_tenant_.find(tenant_id);
    if (it != in_flight_by_tenant_.end() && --it->second <= 0) in_flight_by_tenant_.erase(it);
  };
  // The cloud owns a deadline for every call: the backend's, or its own.
  RouteOptions routed = options;
  bool stream = request.request_case() == v1::CallRequest::kSearchUsers;
  absl::Duration own = stream ? options_.stream_timeout : options_.call_timeout;
  if (!routed.deadline) routed.deadline = started + own;
  auto attempt = std::make_shared<Attempt>();
  attempt->tenant_id = tenant_id;
  attempt->request = std::move(request);
  attempt->options = std::move(routed);
  attempt->handlers = std::move(handlers);
  attempt->call = std::make_shared<RoutedCall>();
  std::shared_ptr<RoutedCall> call = attempt->call;
  std::weak_ptr<RoutedCall> weak = call;
  absl::Time deadline = *attempt->options.deadline;
  DeadlineTimer::Id timer = timer_.Arm(deadline, [weak, own, stream] {
    if (std::shared_ptr<RoutedCall> c = weak.lock()) {
      c->Cancel(absl::DeadlineExceededError(absl::StrCat(
          "the call's deadline passed before the connector answered (without a backend "
          "deadline the cloud allows ", absl::FormatDuration(own),
          stream ? ", --stream_timeout)" : ", --call_timeout)")));
    }
  });
  {
    absl::MutexLock lock(&call->mu_);
    call->timer_ = timer;  // armed before Send: the call cannot have ended yet
  }
  Send(std::move(attempt));
  return call;
}

void Router::StopAccepting() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
}

bool Router::WaitIdle(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; };
  return mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

void Router::Send(std::shared_ptr<Attempt> attempt) {
  auto finish = [this, attempt](absl::StatusOr<v1::CallResult> result) {
    std::optional<DeadlineTimer::Id> timer;
    {
      absl::MutexLock lock(&attempt->call->mu_);
      if (attempt->call->done_) return;
      attempt->call->done_ = true;
      attempt->call->target_.reset();
      timer = attempt->call->timer_;
    }
    if (timer) timer_.Disarm(*timer);
    attempt->handlers.on_done(std::move(result));
  };

  std::shared_ptr<CallTarget> best = Pick(*attempt);
  if (!best) {
    // Never sent: a replica that was forwarded this call tells the origin,
    // which may find the connector elsewhere.
    finish(NotSentError(
        attempt->options.connector_id.empty()
            ? "no connector of this tenant is connected; check Admin.ListConnectors "
              "and Admin.ListAlerts"
            : absl::StrCat("connector ", attempt->options.connector_id,
                           " is not connected")));
    return;
  }

  if (attempt->options.deadline) {
    absl::Duration left = *attempt->options.deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      finish(absl::DeadlineExceededError("deadline passed before the call was sent"));
      return;
    }
    attempt->request.set_timeout_ms(static_cast<uint32_t>(
        std::max<int64_t>(1, absl::ToInt64Milliseconds(left))));
  }
  if (!attempt->retried) attempt->tried = best->target_connector_id();

  CallHandlers handlers;
  if (attempt->handlers.on_chunk) {
    handlers.on_chunk = [attempt](v1::ResultChunk&& chunk) {
      attempt->handlers.on_chunk(std::move(chunk));
    };
  }
  handlers.on_done = [this, attempt, finish, best](absl::StatusOr<v1::CallResult> r) {
    bool dropped = !r.ok() && absl::IsUnavailable(r.status());
    bool not_sent = !r.ok() && IsNotSent(r.status());
    if (not_sent && remote_ != nullptr) remote_->Unreachable(best->replica_id());
    if (dropped && (attempt->options.idempotent || not_sent) && !attempt->retried) {
      if (not_sent) attempt->unreached = best;
      {
        absl::MutexLock lock(&attempt->call->mu_);
        if (attempt->call->done_) return;
        // The first attempt's id is over: a cancel from now on waits for
        // the retry's (cancelled_), rather than going where nothing is.
        attempt->call->call_id_ = 0;
      }
      attempt->retried = true;
      Send(attempt);
      return;
    }
    finish(std::move(r));
  };

  // Publish the session before the call can complete, so that a Cancel
  // racing with the answer always finds where to go.
  uint64_t send;
  {
    absl::MutexLock lock(&attempt->call->mu_);
    if (attempt->call->done_) return;
    attempt->call->target_ = best;
    attempt->call->call_id_ = 0;
    send = ++attempt->call->sends_;
  }
  absl::StatusOr<uint64_t> id =
      best->StartCall(attempt->request, std::move(handlers));
  if (!id.ok()) {
    // Refused at once: it never left, so any call may go elsewhere.
    if (absl::IsUnavailable(id.status()) && !attempt->retried) {
      attempt->unreached = best;
      attempt->retried = true;
      Send(attempt);
      return;
    }
    finish(absl::IsUnavailable(id.status()) ? NotSentError(id.status().message()) : id.status());
    return;
  }
  spdlog::debug("event=call_routed call_id={} connector={} replica={} kind={}", *id,
                best->target_connector_id(), best->replica_id(),
                CallKindName(attempt->request.request_case()));
  std::optional<absl::Status> cancelled;
  {
    absl::MutexLock lock(&attempt->call->mu_);
    // Answered already, and maybe sent again (a not-sent answer can beat
    // StartCall's return): the id is no longer the call's.
    if (attempt->call->done_ || attempt->call->sends_ != send) return;
    attempt->call->call_id_ = *id;
    cancelled = attempt->call->cancelled_;
  }
  if (cancelled) best->CancelCall(*id, *cancelled);
}

// Least in-flight among the tenant's targets: this replica's sessions
// first, so that a tie never costs a hop, and an idle one here means the
// other replicas are not asked at all.
std::shared_ptr<CallTarget> Router::Pick(const Attempt& attempt) const {
  std::shared_ptr<CallTarget> best;
  int best_load = std::numeric_limits<int>::max();
  std::vector<std::shared_ptr<Session>> local = registry_->Live(attempt.tenant_id);
  Consider(attempt, local, &best, &best_load);
  if (remote_ != nullptr && !attempt.options.local_only && best_load > 0) {
    Consider(attempt, remote_->For(attempt.tenant_id), &best, &best_load);
  }
  return best;
}

template <typename Target>
void Router::Consider(const Attempt& attempt, const std::vector<std::shared_ptr<Target>>& targets,
                      std::shared_ptr<CallTarget>* best, int* best_load) {
  for (const auto& t : targets) {
    const std::string& cid = t->target_connector_id();
    if (!attempt.options.connector_id.empty() && cid != attempt.options.connector_id) {
      continue;
    }
    if (attempt.retried) {
      if (attempt.unreached ? t == attempt.unreached : cid == attempt.tried) continue;
    }
    if (!t->TakingCalls()) continue;  // draining, or closing while its end is recorded
    int load = t->InFlight();
    if (load < *best_load) {
      *best = t;
      *best_load = load;
    }
  }
}

}  // namespace dirbridge::cloud
