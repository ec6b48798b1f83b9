#include "cloud_svc/api/routed_unary.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/call_status.h"
#include "common/grpc_status.h"

namespace dirbridge::cloud {
namespace {

// Shared between the reactor, the router's completion and the store pool,
// so that whichever comes first (answer, cancel, deadline, a refusal)
// finishes the call, once.
struct Completion {
  absl::Mutex mu;
  bool finished ABSL_GUARDED_BY(mu) = false;
  grpc::ServerUnaryReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
  // The call in the tunnel, once routed: a cancel must reach it.
  std::shared_ptr<RoutedCall> call ABSL_GUARDED_BY(mu);
  // Steps running now that read the request or write the response. A
  // cancel waits for them (pending_cancel): finishing would let gRPC free
  // what they read.
  int busy ABSL_GUARDED_BY(mu) = 0;
  std::optional<absl::Status> pending_cancel ABSL_GUARDED_BY(mu);

  // `fill` writes the response; it runs under the lock so that it never
  // writes into a response whose call already ended.
  void Finish(absl::Status status, const std::function<absl::Status()>& fill = nullptr) {
    absl::MutexLock lock(&mu);
    FinishLocked(std::move(status), fill);
  }

  void FinishLocked(absl::Status status, const std::function<absl::Status()>& fill = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (finished) return;
    finished = true;
    if (status.ok() && fill) status = fill();
    // After Finish the reactor may be deleted at any moment (OnDone), so it
    // is never touched again: `finished` guards every path to it.
    reactor->Finish(ToGrpcStatus(status));
  }

  bool Finished() {
    absl::MutexLock lock(&mu);
    return finished;
  }

  // A step may read the request: false when the call has ended already.
  bool Enter() {
    absl::MutexLock lock(&mu);
    if (finished) return false;
    ++busy;
    return true;
  }
  void Leave() {
    absl::MutexLock lock(&mu);
    if (--busy == 0 && pending_cancel) FinishLocked(*pending_cancel);
  }
  // The backend gave up: finish now, or once the running step is out.
  void Cancel(const absl::Status& why) {
    absl::MutexLock lock(&mu);
    if (busy > 0) {
      if (!pending_cancel) pending_cancel = why;
      return;
    }
    FinishLocked(why);
  }
};

class RoutedUnaryReactor : public grpc::ServerUnaryReactor {
 public:
  RoutedUnaryReactor(grpc::CallbackServerContext* context,
                     std::shared_ptr<Completion> completion)
      : context_(context), completion_(std::move(completion)) {}

  void OnCancel() override {
    bool expired = context_->deadline() <= std::chrono::system_clock::now();
    absl::Status why = expired ? absl::DeadlineExceededError(
                                     "deadline exceeded waiting for the connector")
                               : absl::CancelledError("cancelled by the caller");
    std::shared_ptr<RoutedCall> call;
    {
      absl::MutexLock lock(&completion_->mu);
      call = completion_->call;
    }
    if (call) call->Cancel(why);
    completion_->Cancel(why);
  }

  void OnDone() override { delete this; }

 private:
  grpc::CallbackServerContext* const context_;
  std::shared_ptr<Completion> completion_;
};

std::shared_ptr<Completion> NewCompletion(grpc::CallbackServerContext* context) {
  auto completion = std::make_shared<Completion>();
  auto* reactor = new RoutedUnaryReactor(context, completion);
  absl::MutexLock lock(&completion->mu);
  completion->reactor = reactor;
  return completion;
}

// Routes on behalf of `completion`. `take_on` (null: the session's thread)
// is where the answer is taken.
void Send(const std::shared_ptr<Completion>& completion, Router* router, Route route,
          std::optional<absl::Time> deadline, TakeResponse take, ThreadPool* take_on) {
  if (deadline) route.options.deadline = *deadline;
  CallHandlers handlers;
  handlers.on_done = [completion, take = std::move(take), take_on](
                         absl::StatusOr<v1::CallResult> result) mutable {
    if (!result.ok()) {
      completion->Finish(result.status());
      return;
    }
    auto finish = [completion, take = std::move(take),
                   result = std::move(*result)]() mutable {
      completion->Finish(CallResultStatus(result),
                         [&] { return take(result); });
    };
    if (take_on == nullptr) {
      finish();
    } else if (!take_on->TrySchedule(std::move(finish))) {
      completion->Finish(QueueFullError(*take_on, "cloud_svc"));
    }
  };
  std::shared_ptr<RoutedCall> call = router->Call(route.tenant_id, std::move(route.request),
                                                  route.options, std::move(handlers));
  bool cancelled;
  {
    absl::MutexLock lock(&completion->mu);
    completion->call = call;
    cancelled = completion->finished || completion->pending_cancel.has_value();
  }
  // The backend gave up between routing and here: OnCancel found no call.
  if (cancelled) call->Cancel(absl::CancelledError("cancelled by the caller"));
}

std::optional<absl::Time> Deadline(const grpc::CallbackServerContext* context) {
  auto deadline = context->deadline();
  if (deadline >= std::chrono::system_clock::time_point::max()) return std::nullopt;
  return absl::FromChrono(deadline);
}

}  // namespace

grpc::ServerUnaryReactor* RouteUnary(grpc::CallbackServerContext* context,
                                     Router* router,
                                     const std::string& tenant_id,
                                     v1::CallRequest request,
                                     RouteOptions options, TakeResponse take) {
  std::shared_ptr<Completion> completion = NewCompletion(context);
  grpc::ServerUnaryReactor* reactor;
  {
    absl::MutexLock lock(&completion->mu);
    reactor = completion->reactor;
  }
  Send(completion, router, Route{tenant_id, std::move(request), std::move(options)},
       Deadline(context), std::move(take), nullptr);
  return reactor;
}

grpc::ServerUnaryReactor* RouteForTenant(grpc::CallbackServerContext* context,
                                         const Authenticator* auth, Router* router,
                                         ThreadPool* pool, RoutedSteps steps) {
  std::shared_ptr<Completion> completion = NewCompletion(context);
  grpc::ServerUnaryReactor* reactor;
  {
    absl::MutexLock lock(&completion->mu);
    reactor = completion->reactor;
  }
  std::optional<absl::Time> deadline = Deadline(context);
  // The rest of the call once its tenant is known, on whichever thread that is.
  auto run = [completion, router, pool, deadline,
              steps = std::move(steps)](const std::string& tenant) mutable {
    if (!completion->Enter()) return;
    absl::Cleanup leave = [&completion] { completion->Leave(); };
    absl::StatusOr<Prepared> prepared = steps.prepare(tenant);
    if (!prepared.ok()) {
      completion->Finish(prepared.status());
      return;
    }
    if (!prepared->route) {
      completion->Finish(absl::OkStatus(), [&] {
        if (prepared->answer) prepared->answer();
        return absl::OkStatus();
      });
      return;
    }
    Send(completion, router, std::move(*prepared->route), deadline, std::move(steps.take),
         steps.take_touches_store ? pool : nullptr);
  };
  // The context may be gone by the time the pool runs (a cancelled call
  // ends without us): take the credential now.
  std::string authorization = Authenticator::Authorization(*context);
  std::optional<absl::StatusOr<std::string>> known = auth->TenantIfKnown(authorization);
  if (known && !known->ok()) {
    completion->Finish(known->status());
    return reactor;
  }
  if (known && !steps.prepare_touches_store) {
    run(**known);
    return reactor;
  }
  // The token is not cached yet, or the first step reads the store.
  bool queued = pool->TrySchedule([authorization = std::move(authorization), auth, completion,
                                   run = std::move(run)]() mutable {
    if (completion->Finished()) return;
    absl::StatusOr<std::string> tenant = auth->Tenant(authorization);
    if (!tenant.ok()) {
      completion->Finish(tenant.status());
      return;
    }
    run(*tenant);
  });
  if (!queued) completion->Finish(QueueFullError(*pool, "cloud_svc"));
  return reactor;
}

}  // namespace dirbridge::cloud
