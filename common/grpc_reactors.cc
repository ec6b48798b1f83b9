#include "common/grpc_reactors.h"

namespace dirbridge {

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* context,
                                     const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* context, ThreadPool* pool,
                                  absl::string_view who, absl::AnyInvocable<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  bool queued = pool->TrySchedule([reactor, work = std::move(work)]() mutable {
    reactor->Finish(ToGrpcStatus(work()));
  });
  if (!queued) reactor->Finish(ToGrpcStatus(QueueFullError(*pool, who)));
  return reactor;
}

}  // namespace dirbridge
