#include "cloud_svc/routing/peer/remote_session.h"

#include "absl/strings/str_cat.h"

namespace dirbridge::cloud {

absl::StatusOr<uint64_t> RemoteSession::StartCall(v1::CallRequest request,
                                                  CallHandlers handlers) {
  // The router has set what is left of the deadline; a call without one
  // gets the tunnel's own default at the holder.
  absl::Time deadline = absl::Now() + (request.timeout_ms() > 0
                                           ? absl::Milliseconds(request.timeout_ms())
                                           : absl::Minutes(5));
  const bool streams = static_cast<bool>(handlers.on_chunk);
  uint64_t id;
  std::function<void()> on_end;
  {
    absl::MutexLock lock(&mu_);
    if (calls_.size() >= max_calls_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("connector ", connector_id_, " already carries ", calls_.size(),
                       " calls from this replica through ", replica_id_, " (the limit)"));
    }
    id = next_id_++;
    calls_[id] = nullptr;  // counted from now; its handle follows
    std::weak_ptr<RemoteSession> weak = weak_from_this();
    on_end = [weak, id] {
      if (std::shared_ptr<RemoteSession> self = weak.lock()) {
        absl::MutexLock lock(&self->mu_);
        self->calls_.erase(id);
      }
    };
  }
  v1::ForwardCall forward;
  forward.set_tenant_id(tenant_id_);
  forward.set_connector_id(connector_id_);
  forward.set_origin_replica(origin_replica_);
  request.set_call_id(id);
  *forward.mutable_request() = std::move(request);
  std::shared_ptr<Forward> call;
  if (streams) {
    auto stream = std::make_shared<ForwardedCall>(std::move(handlers), std::move(on_end));
    call = stream;
    Publish(id, call);
    stream->Start(link_->stub(), stream, std::move(forward), deadline);
  } else {
    // The router cancels it at its deadline; the holder enforces the same.
    absl::StatusOr<std::shared_ptr<Forward>> linked =
        link_->Call(std::move(forward), std::move(handlers), std::move(on_end));
    if (!linked.ok()) {
      absl::MutexLock lock(&mu_);
      calls_.erase(id);
      return linked.status();  // nothing left: the router may go elsewhere
    }
    Publish(id, *std::move(linked));
  }
  return id;
}

void RemoteSession::Publish(uint64_t id, std::shared_ptr<Forward> call) {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(id);
  if (it != calls_.end()) it->second = std::move(call);  // else it has ended
}

bool RemoteSession::TakingCalls() const {
  absl::MutexLock lock(&mu_);
  return calls_.size() < max_calls_;
}

std::shared_ptr<Forward> RemoteSession::Find(uint64_t call_id) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(call_id);
  return it == calls_.end() ? nullptr : it->second;
}

void RemoteSession::CancelCall(uint64_t call_id, const absl::Status& why) {
  if (std::shared_ptr<Forward> call = Find(call_id)) call->Cancel(why);
}

void RemoteSession::GrantCredit(uint64_t call_id, uint32_t n) {
  if (std::shared_ptr<Forward> call = Find(call_id)) call->Credit(n);
}

int RemoteSession::InFlight() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(calls_.size());
}

}  // namespace dirbridge::cloud
