#include "cloud_svc/api/search_users_stream.h"

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/call_status.h"
#include "common/grpc_status.h"

namespace dirbridge::cloud {
namespace {

class SearchUsersReactor;

// Shared between the reactor and the router's handlers. After Finish the
// reactor may be gone at any moment, so every path to it checks `finished`
// under `mu`.
struct StreamState {
  absl::Mutex mu;
  SearchUsersReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
  std::deque<v1::SearchUsersResponse> queue ABSL_GUARDED_BY(mu);
  bool writing ABSL_GUARDED_BY(mu) = false;
  bool done ABSL_GUARDED_BY(mu) = false;  // the call has its outcome
  absl::Status outcome ABSL_GUARDED_BY(mu);
  bool finished ABSL_GUARDED_BY(mu) = false;
  std::shared_ptr<RoutedCall> call ABSL_GUARDED_BY(mu);

  void Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
};

class SearchUsersReactor : public grpc::ServerWriteReactor<v1::SearchUsersResponse> {
 public:
  SearchUsersReactor(grpc::CallbackServerContext* context, std::shared_ptr<StreamState> state)
      : context_(context), state_(std::move(state)) {}

  void OnWriteDone(bool ok) override {
    std::shared_ptr<RoutedCall> call;
    {
      absl::MutexLock lock(&state_->mu);
      state_->writing = false;
      state_->queue.pop_front();
      if (!ok && !state_->done) {
        // The backend went away; OnCancel tells the connector.
        state_->done = true;
        state_->outcome = absl::CancelledError("the caller went away");
        state_->queue.clear();
      }
      call = state_->call;
      state_->Pump();
    }
    if (ok && call) call->GrantCredit(1);
  }

  void OnCancel() override {
    bool expired = context_->deadline() <= std::chrono::system_clock::now();
    absl::Status why = expired ? absl::DeadlineExceededError("deadline exceeded")
                               : absl::CancelledError("cancelled by the caller");
    std::shared_ptr<RoutedCall> call;
    {
      absl::MutexLock lock(&state_->mu);
      call = state_->call;
      if (!state_->done) {
        state_->done = true;
        state_->outcome = why;
      }
      // Chunks not yet written will never be.
      while (state_->queue.size() > (state_->writing ? 1u : 0u)) state_->queue.pop_back();
      state_->Pump();
    }
    if (call) call->Cancel(why);
  }

  void OnDone() override { delete this; }

 private:
  grpc::CallbackServerContext* const context_;
  std::shared_ptr<StreamState> state_;
};

void StreamState::Pump() {
  if (finished || writing) return;
  if (!queue.empty()) {
    writing = true;
    reactor->StartWrite(&queue.front());
    return;
  }
  if (done) {
    finished = true;
    reactor->Finish(ToGrpcStatus(outcome));
  }
}

// Sends the search for `tenant_id` on behalf of `state`.
void RouteSearch(const std::shared_ptr<StreamState>& state, Router* router,
                 const std::string& tenant_id, v1::CallRequest call, RouteOptions options) {
  CallHandlers handlers;
  handlers.on_chunk = [state](v1::ResultChunk&& chunk) {
    absl::MutexLock lock(&state->mu);
    if (state->done || !chunk.has_search_users()) return;
    state->queue.push_back(std::move(*chunk.mutable_search_users()));
    state->Pump();
  };
  handlers.on_done = [state](absl::StatusOr<v1::CallResult> result) {
    absl::MutexLock lock(&state->mu);
    if (state->done) return;
    state->done = true;
    state->outcome =
        result.ok() ? CallResultStatus(*result) : result.status();
    state->Pump();
  };
  // A stream that fails part-way cannot be retried without sending users
  // twice: not idempotent for the router.
  std::shared_ptr<RoutedCall> routed =
      router->Call(tenant_id, std::move(call), options, std::move(handlers));
  bool cancelled;
  {
    absl::MutexLock lock(&state->mu);
    state->call = routed;
    cancelled = state->done;
  }
  // The backend gave up while the call was on its way: OnCancel found none.
  if (cancelled) routed->Cancel(absl::CancelledError("cancelled by the caller"));
}

void Fail(const std::shared_ptr<StreamState>& state, const absl::Status& why) {
  absl::MutexLock lock(&state->mu);
  if (state->done) return;
  state->done = true;
  state->outcome = why;
  state->Pump();
}

}  // namespace

grpc::ServerWriteReactor<v1::SearchUsersResponse>* StreamSearchUsers(
    grpc::CallbackServerContext* context, const Authenticator* auth, Router* router,
    ThreadPool* pool, const v1::SearchUsersRequest& request) {
  auto state = std::make_shared<StreamState>();
  auto* reactor = new SearchUsersReactor(context, state);
  {
    absl::MutexLock lock(&state->mu);
    state->reactor = reactor;
  }
  v1::CallRequest call;
  *call.mutable_search_users() = request;
  RouteOptions options;
  auto deadline = context->deadline();
  if (deadline < std::chrono::system_clock::time_point::max()) {
    options.deadline = absl::FromChrono(deadline);
  }
  std::string authorization = Authenticator::Authorization(*context);
  std::optional<absl::StatusOr<std::string>> known = auth->TenantIfKnown(authorization);
  if (known) {
    if (known->ok()) {
      RouteSearch(state, router, **known, std::move(call), std::move(options));
    } else {
      Fail(state, known->status());
    }
    return reactor;
  }
  // A token not cached yet: the store says whose it is, off this thread.
  bool queued = pool->TrySchedule([state, auth, router, authorization = std::move(authorization),
                                   call = std::move(call), options = std::move(options)]() mutable {
    absl::StatusOr<std::string> tenant = auth->Tenant(authorization);
    if (!tenant.ok()) {
      Fail(state, tenant.status());
      return;
    }
    RouteSearch(state, router, *tenant, std::move(call), std::move(options));
  });
  if (!queued) {
    Fail(state, QueueFullError(*pool, "cloud_svc"));
  }
  return reactor;
}

}  // namespace dirbridge::cloud
