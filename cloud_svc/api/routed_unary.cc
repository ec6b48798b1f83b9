#include "cloud_svc/api/routed_unary.h"

#include "absl/synchronization/mutex.h"
#include "common/call_status.h"
#include "common/grpc_status.h"

namespace dirbridge::cloud {
namespace {

// Shared between the reactor and the router's completion, so that whichever
// comes first (answer, cancel, deadline) finishes the call, once.
struct Completion {
  absl::Mutex mu;
  bool finished ABSL_GUARDED_BY(mu) = false;
  grpc::ServerUnaryReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;

  // `take` fills the response; it runs under the lock so that it never
  // writes into a response whose call already ended.
  void Finish(absl::Status status, const TakeResponse* take = nullptr,
              v1::CallResult* result = nullptr) {
    absl::MutexLock lock(&mu);
    if (finished) return;
    finished = true;
    if (status.ok() && take != nullptr) status = (*take)(*result);
    // After Finish the reactor may be deleted at any moment (OnDone), so it
    // is never touched again: `finished` guards every path to it.
    reactor->Finish(ToGrpcStatus(status));
  }
};

class RoutedUnaryReactor : public grpc::ServerUnaryReactor {
 public:
  RoutedUnaryReactor(grpc::CallbackServerContext* context,
                     std::shared_ptr<Completion> completion)
      : context_(context), completion_(std::move(completion)) {}

  void SetCall(std::shared_ptr<RoutedCall> call) {
    absl::MutexLock lock(&mu_);
    call_ = std::move(call);
  }

  void OnCancel() override {
    bool expired = context_->deadline() <= std::chrono::system_clock::now();
    absl::Status why = expired ? absl::DeadlineExceededError(
                                     "deadline exceeded waiting for the connector")
                               : absl::CancelledError("cancelled by the caller");
    std::shared_ptr<RoutedCall> call;
    {
      absl::MutexLock lock(&mu_);
      call = call_;
    }
    if (call) call->Cancel(why);
    completion_->Finish(why);
  }

  void OnDone() override { delete this; }

 private:
  grpc::CallbackServerContext* const context_;
  std::shared_ptr<Completion> completion_;
  absl::Mutex mu_;
  std::shared_ptr<RoutedCall> call_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerUnaryReactor* RouteUnary(grpc::CallbackServerContext* context,
                                     Router* router,
                                     const std::string& tenant_id,
                                     v1::CallRequest request,
                                     RouteOptions options, TakeResponse take) {
  auto completion = std::make_shared<Completion>();
  auto* reactor = new RoutedUnaryReactor(context, completion);
  {
    absl::MutexLock lock(&completion->mu);
    completion->reactor = reactor;
  }
  auto deadline = context->deadline();
  if (deadline < std::chrono::system_clock::time_point::max()) {
    options.deadline = absl::FromChrono(deadline);
  }
  CallHandlers handlers;
  handlers.on_done = [completion, take = std::move(take)](
                         absl::StatusOr<v1::CallResult> result) {
    if (!result.ok()) {
      completion->Finish(result.status());
      return;
    }
    completion->Finish(CallResultStatus(*result), &take,
                       &*result);
  };
  reactor->SetCall(
      router->Call(tenant_id, std::move(request), options, std::move(handlers)));
  return reactor;
}

}  // namespace dirbridge::cloud
