// How a session ends: closed at once (calls in flight fail UNAVAILABLE),
// or retired (Goaway, then closed when its calls are answered).

#include <vector>

#include "absl/strings/str_cat.h"
#include "cloud_svc/routing/session.h"
#include "common/grpc_status.h"

namespace dirbridge::cloud {

void Session::Close(const absl::Status& why) {
  std::vector<CallHandlers> orphans;
  {
    absl::MutexLock lock(&mu_);
    if (closing_) return;
    closing_ = true;
    close_status_ = why;
    for (auto& [id, call] : calls_) orphans.push_back(std::move(call.handlers));
    calls_.clear();
    CloseLocked(why);
  }
  absl::Status failed = absl::UnavailableError(absl::StrCat(
      "connector ", identity_.connector_id, " disconnected: ", why.message()));
  for (CallHandlers& h : orphans) h.on_done(failed);
  host_->OnSessionClosed(this, why);
}

void Session::Retire(const absl::Status& why) {
  bool idle;
  {
    absl::MutexLock lock(&mu_);
    if (closing_ || retiring_) return;
    retiring_ = true;
    retire_status_ = why;
    if (!finished_) {
      v1::CloudFrame frame;
      frame.mutable_goaway()->set_reason(std::string(why.message()));
      Send(std::move(frame));
    }
    idle = calls_.empty();
  }
  if (idle) Close(why);
}

void Session::MaybeRetired() {
  absl::Status why;
  {
    absl::MutexLock lock(&mu_);
    if (!retiring_ || closing_ || !calls_.empty()) return;
    why = retire_status_;
  }
  Close(why);
}

void Session::CloseLocked(const absl::Status& why) {
  if (!finished_ && !write_in_flight_) {
    v1::CloudFrame frame;
    frame.mutable_goaway()->set_reason(std::string(why.message()));
    Send(std::move(frame));
  } else if (write_in_flight_ &&
             why.code() == absl::StatusCode::kUnavailable) {
    // A write that does not complete (a peer that stopped reading) would hold
    // Finish back for ever; cancelling fails it, and OnWriteDone finishes.
    outbox_.erase(outbox_.begin() + 1, outbox_.end());
    context_->TryCancel();
  }
  MaybeFinishLocked();
}

void Session::MaybeFinishLocked() {
  if (!closing_ || finished_ || write_in_flight_) return;
  finished_ = true;
  Finish(ToGrpcStatus(close_status_));
}

}  // namespace dirbridge::cloud
