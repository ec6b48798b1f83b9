#include "cloud_svc/routing/peer/holder_link.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_reactors.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/log_escape.h"

namespace dirbridge::cloud {

absl::StatusOr<RouteOptions> ForwardRoute(const v1::ForwardCall& forward) {
  if (forward.tenant_id().empty() || forward.connector_id().empty()) {
    return absl::InvalidArgumentError("a forwarded call needs a tenant_id and a connector_id");
  }
  RouteOptions options;
  options.connector_id = forward.connector_id();
  options.local_only = true;
  // An unset timeout is the holder's own default, as for a backend call.
  if (forward.request().timeout_ms() > 0) {
    options.deadline = absl::Now() + absl::Milliseconds(forward.request().timeout_ms());
  }
  return options;
}

// The holder's half of one Link stream: each call read is routed to its
// connector here, each answer written back with the call's id, in the
// order they come. Ends when the origin goes, or once Close is asked and
// its calls are answered; deletes itself in OnDone.
class HolderLink : public grpc::ServerBidiReactor<v1::LinkFrame, v1::LinkReply> {
 public:
  HolderLink(grpc::CallbackServerContext* context, HolderLinks* links, Router* router)
      : context_(context), links_(links), router_(router) {
    // Headers at once: a Finish racing a first answer could otherwise
    // both send them.
    StartSendInitialMetadata();
    StartRead(&in_);
  }

  // Asks the link to end once its calls are answered. True: it may end
  // now, and the caller must call FinishNow (outside any lock of its own,
  // and without touching the link after).
  bool MarkClosing() {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    return Finishable();
  }
  void FinishNow() { Finish(grpc::Status::OK); }

  void OnSendInitialMetadataDone(bool) override {
    {
      absl::MutexLock lock(&mu_);
      metadata_pending_ = false;
    }
    MaybeFinish();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      {
        absl::MutexLock lock(&mu_);
        reading_done_ = true;
      }
      MaybeFinish();
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      // Decided to end: what came after the decision was never taken,
      // and the origin learns so from the trailer (kLinkLastCallTrailer).
      if (finished_) return;
    }
    if (in_.has_call()) {
      Take(in_.call().id(), std::move(*in_.mutable_call()->mutable_call()));
    } else if (in_.frame_case() == v1::LinkFrame::kCancel) {
      std::shared_ptr<RoutedCall> call;
      {
        absl::MutexLock lock(&mu_);
        auto it = calls_.find(in_.cancel());
        if (it != calls_.end()) call = it->second;
      }
      if (call) call->Cancel(absl::CancelledError("the forwarding replica gave up on the call"));
    }
    in_.Clear();
    absl::MutexLock lock(&mu_);
    ReadMoreLocked();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      outbox_.pop_front();
      if (!ok) outbox_.clear();  // the origin is gone; OnReadDone(false) follows
      if (!outbox_.empty()) {
        StartWrite(&outbox_.front());
      } else {
        write_in_flight_ = false;
      }
      // An origin that does not read its answers stops being read.
      if (read_paused_ && outbox_.size() < kMaxQueuedReplies / 2) ReadMoreLocked();
      if (write_in_flight_) return;
    }
    MaybeFinish();
  }

  void OnCancel() override {
    std::vector<std::shared_ptr<RoutedCall>> calls;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      for (auto& [id, call] : calls_) {
        if (call) calls.push_back(call);
      }
    }
    for (auto& call : calls) {
      call->Cancel(absl::CancelledError("the forwarding replica went away"));
    }
  }

  void OnDone() override {
    links_->Forget(this);
    delete this;
  }

 private:
  void ReadMoreLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || reading_done_) return;
    if (outbox_.size() >= kMaxQueuedReplies) {
      read_paused_ = true;
      return;
    }
    read_paused_ = false;
    StartRead(&in_);
  }

  void Take(uint64_t id, v1::ForwardCall forward) {
    absl::Status refused;
    {
      absl::MutexLock lock(&mu_);
      last_read_ = std::max(last_read_, id);
      if (closing_) {
        refused = NotSentError("this replica is stopping");
      } else if (calls_.size() >= kMaxCallsPerLink) {
        refused = absl::ResourceExhaustedError(
            absl::StrCat("the link already carries ", calls_.size(), " calls (the limit)"));
      } else if (!calls_.try_emplace(id, nullptr).second) {
        refused = absl::InvalidArgumentError(absl::StrCat("call id ", id, " is in use"));
      }
    }
    if (!refused.ok()) {
      Answer(id, refused, /*tracked=*/false);
      return;
    }
    absl::StatusOr<RouteOptions> options = ForwardRoute(forward);
    if (!options.ok()) {
      Answer(id, options.status(), /*tracked=*/true);
      return;
    }
    CallHandlers handlers;
    handlers.on_done = [this, id](absl::StatusOr<v1::CallResult> result) {
      Answer(id, std::move(result), /*tracked=*/true);
    };
    // Checked first: LogSafe builds a string, on every forwarded call.
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("event=peer_forward_in origin={} connector={}",
                    LogSafe(forward.origin_replica()), forward.connector_id());
    }
    std::shared_ptr<RoutedCall> call = router_->Call(
        forward.tenant_id(), std::move(*forward.mutable_request()), *options, std::move(handlers));
    bool cancel = false;
    {
      absl::MutexLock lock(&mu_);
      auto it = calls_.find(id);
      if (it != calls_.end()) {  // else answered already
        it->second = call;
        cancel = cancelled_;  // OnCancel ran while it was being routed
      }
    }
    if (cancel) call->Cancel(absl::CancelledError("the forwarding replica went away"));
  }

  // `tracked`: the call is in calls_ (a refused one never was, and its id
  // may be another call's).
  void Answer(uint64_t id, absl::StatusOr<v1::CallResult> result, bool tracked) {
    v1::LinkReply reply;
    reply.set_id(id);
    if (result.ok()) {
      *reply.mutable_result() = *std::move(result);
    } else {
      reply.set_status_code(static_cast<int>(result.status().code()));
      reply.set_status_message(std::string(result.status().message()));
      reply.set_not_sent(IsNotSent(result.status()));
    }
    bool finish;
    {
      absl::MutexLock lock(&mu_);
      if (tracked) calls_.erase(id);
      if (finished_) return;  // only a refusal can come this late; nobody reads it
      outbox_.push_back(std::move(reply));
      if (!write_in_flight_) {
        write_in_flight_ = true;
        StartWrite(&outbox_.front());
      }
      finish = Finishable();
    }
    // Nothing of this object is touched once Finish may have run OnDone.
    if (finish) Finish(grpc::Status::OK);
  }

  // Decides, once, that the stream can end: reads over (or closing), no
  // call in flight, nothing left to write. Names the last call it read,
  // so that the origin knows every later one was not taken.
  bool Finishable() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !(reading_done_ || closing_) || !calls_.empty() || write_in_flight_ ||
        metadata_pending_) {
      return false;
    }
    finished_ = true;
    context_->AddTrailingMetadata(kLinkLastCallTrailer, absl::StrCat(last_read_));
    return true;
  }

  void MaybeFinish() {
    bool finish;
    {
      absl::MutexLock lock(&mu_);
      finish = Finishable();
    }
    if (finish) Finish(grpc::Status::OK);
  }

  grpc::CallbackServerContext* const context_;
  HolderLinks* const links_;
  Router* const router_;
  v1::LinkFrame in_;  // the one read in flight

  absl::Mutex mu_;
  // Routed calls by the origin's id; null while being routed.
  absl::flat_hash_map<uint64_t, std::shared_ptr<RoutedCall>> calls_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::LinkReply> outbox_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool metadata_pending_ ABSL_GUARDED_BY(mu_) = true;
  bool reading_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t last_read_ ABSL_GUARDED_BY(mu_) = 0;
};

grpc::ServerBidiReactor<v1::LinkFrame, v1::LinkReply>* HolderLinks::Open(
    grpc::CallbackServerContext* context) {
  absl::MutexLock lock(&mu_);
  if (closed_) {
    context->AddTrailingMetadata(kLinkLastCallTrailer, "0");  // took nothing
    return new RefusedReactor<grpc::ServerBidiReactor<v1::LinkFrame, v1::LinkReply>>(
        absl::UnavailableError("this replica is stopping"));
  }
  auto* link = new HolderLink(context, this, router_);
  open_.insert(link);
  return link;
}

void HolderLinks::Close() {
  std::vector<HolderLink*> idle;
  {
    // A registered link is not deleted while this lock is held (OnDone
    // forgets it first), and one that MarkClosing says may end now cannot
    // end by itself: it waits for FinishNow.
    absl::MutexLock lock(&mu_);
    closed_ = true;
    for (HolderLink* link : open_) {
      if (link->MarkClosing()) idle.push_back(link);
    }
  }
  for (HolderLink* link : idle) link->FinishNow();
}

void HolderLinks::Forget(HolderLink* link) {
  absl::MutexLock lock(&mu_);
  open_.erase(link);
}

}  // namespace dirbridge::cloud
