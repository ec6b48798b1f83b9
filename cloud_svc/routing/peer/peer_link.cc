#include "cloud_svc/routing/peer/peer_link.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dirbridge::cloud {
namespace {

// A call's handle on the link: cancelling it ends it here at once and
// tells the holder.
class LinkedCall : public Forward {
 public:
  LinkedCall(std::weak_ptr<PeerLink::Stream> stream, uint64_t id)
      : stream_(std::move(stream)), id_(id) {}
  void Cancel(const absl::Status& why) override {
    if (std::shared_ptr<PeerLink::Stream> s = stream_.lock()) s->CancelCall(id_, why);
  }
  void Credit(uint32_t) override {}  // nothing it carries streams

 private:
  const std::weak_ptr<PeerLink::Stream> stream_;
  const uint64_t id_;
};

}  // namespace

PeerLink::PeerLink(std::shared_ptr<v1::ReplicaPeer::Stub> stub) : stub_(std::move(stub)) {}

PeerLink::~PeerLink() {
  absl::MutexLock lock(&mu_);
  if (stream_) stream_->End();
}

void PeerLink::Close(absl::Duration timeout) {
  std::vector<std::weak_ptr<Stream>> opened;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    stream_.reset();
    opened.swap(opened_);
  }
  for (const std::weak_ptr<Stream>& w : opened) {
    if (std::shared_ptr<Stream> s = w.lock()) s->End();
  }
  absl::Time deadline = absl::Now() + timeout;
  for (const std::weak_ptr<Stream>& w : opened) {
    while (!w.expired() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  }
}

absl::StatusOr<std::shared_ptr<Forward>> PeerLink::Call(v1::ForwardCall call,
                                                        CallHandlers handlers,
                                                        std::function<void()> on_end) {
  // A stream found over is replaced once; one that is over as soon as it
  // is opened means the replica cannot be reached now.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::shared_ptr<Stream> stream;
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return absl::UnavailableError("this replica is stopping");
      if (!stream_) {
        std::erase_if(opened_, [](const std::weak_ptr<Stream>& w) { return w.expired(); });
        stream_ = std::make_shared<Stream>();
        opened_.push_back(stream_);
        stream_->Start(stub_.get(), stream_);
      }
      stream = stream_;
    }
    uint64_t id;
    switch (stream->Send(&call, &handlers, &on_end, &id)) {
      case Stream::Sent::kYes:
        return std::make_shared<LinkedCall>(stream, id);
      case Stream::Sent::kFull:
        return absl::UnavailableError(
            "the link to the replica holding the connector has too much waiting to be written");
      case Stream::Sent::kOver:
        break;
    }
    absl::MutexLock lock(&mu_);
    if (stream_ == stream) stream_.reset();
  }
  return absl::UnavailableError("the link to the replica holding the connector is down");
}

void PeerLink::Stream::Start(v1::ReplicaPeer::Stub* stub, std::shared_ptr<Stream> self) {
  {
    absl::MutexLock lock(&mu_);
    self_ = std::move(self);
  }
  stub->async()->Link(&context_, this);
  // Calls are written from the backend's threads, outside any reaction:
  // held until the holder's side of the stream is over (after binding:
  // a hold needs the call).
  AddHold();
  StartRead(&in_);
  StartCall();
}

PeerLink::Stream::Sent PeerLink::Stream::Send(v1::ForwardCall* call, CallHandlers* handlers,
                                               std::function<void()>* on_end, uint64_t* id_out) {
  absl::MutexLock lock(&mu_);
  if (over_) return Sent::kOver;
  if (outbox_.size() >= kMaxQueued) return Sent::kFull;
  // Numbered in the order written: the holder's "last call read" then
  // says exactly which were not.
  const uint64_t id = next_id_++;
  *id_out = id;
  pending_[id] = Pending{std::move(*handlers), std::move(*on_end)};
  Out out;
  out.call_id = id;
  v1::LinkCall* linked = out.frame.mutable_call();
  linked->set_id(id);
  *linked->mutable_call() = std::move(*call);
  Write(std::move(out));
  return Sent::kYes;
}

void PeerLink::Stream::CancelCall(uint64_t id, const absl::Status& why) {
  std::optional<Pending> pending;
  {
    absl::MutexLock lock(&mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // answered, or the link ended it
    pending = std::move(it->second);
    pending_.erase(it);
    // Still waiting to be written: it never leaves (marked, not erased:
    // the frame being written must stay where gRPC was given it). Else
    // the holder is told.
    auto queued = std::find_if(outbox_.begin() + (write_in_flight_ ? 1 : 0), outbox_.end(),
                               [id](const Out& o) { return o.call_id == id; });
    if (queued != outbox_.end()) {
      queued->dropped = true;
    } else if (!over_) {
      Out out;
      out.frame.set_cancel(id);
      Write(std::move(out));
    }
  }
  Complete(std::move(*pending), why);
}

void PeerLink::Stream::Write(Out out) {
  outbox_.push_back(std::move(out));
  if (write_in_flight_) return;
  write_in_flight_ = true;
  StartWrite(&outbox_.front().frame);
}

void PeerLink::Stream::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  if (ok && outbox_.front().call_id != 0) {
    auto it = pending_.find(outbox_.front().call_id);
    if (it != pending_.end()) it->second.written = true;
  }
  outbox_.pop_front();
  if (!ok) {
    // The stream is broken: what was not written never left.
    over_ = true;
    outbox_.clear();
  }
  while (!outbox_.empty() && outbox_.front().dropped) outbox_.pop_front();
  if (outbox_.empty()) {
    write_in_flight_ = false;
    return;
  }
  StartWrite(&outbox_.front().frame);
}

void PeerLink::Stream::OnReadDone(bool ok) {
  if (!ok) {
    {
      absl::MutexLock lock(&mu_);
      over_ = true;
    }
    RemoveHold();  // OnDone follows, with the holder's status
    return;
  }
  std::optional<Pending> pending;
  {
    absl::MutexLock lock(&mu_);
    auto it = pending_.find(in_.id());
    if (it != pending_.end()) {
      pending = std::move(it->second);
      pending_.erase(it);
    }
  }
  if (pending) {
    absl::StatusOr<v1::CallResult> outcome;
    if (in_.status_code() == 0) {
      outcome = std::move(*in_.mutable_result());
    } else if (in_.not_sent()) {
      outcome = NotSentError(in_.status_message());
    } else {
      outcome = absl::Status(static_cast<absl::StatusCode>(in_.status_code()),
                             in_.status_message());
    }
    Complete(*std::move(pending), std::move(outcome));
  }
  in_.Clear();
  StartRead(&in_);
}

void PeerLink::Stream::OnDone(const grpc::Status& status) {
  std::vector<std::pair<bool, Pending>> ended;  // (maybe taken, call)
  std::shared_ptr<Stream> self;
  {
    absl::MutexLock lock(&mu_);
    over_ = true;
    // A holder that ended or refused the link names the last call it read
    // (0: none); a replica older than the link took none. Without a
    // trailer (a crash, a broken connection) any written call may have run.
    uint64_t last = std::numeric_limits<uint64_t>::max();
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) last = 0;
    auto trailer = context_.GetServerTrailingMetadata().find(kLinkLastCallTrailer);
    if (trailer != context_.GetServerTrailingMetadata().end()) {
      uint64_t n;
      if (absl::SimpleAtoi(absl::string_view(trailer->second.data(), trailer->second.size()),
                           &n)) {
        last = n;
      }
    }
    for (auto& [id, p] : pending_) {
      ended.emplace_back(p.written && id <= last, std::move(p));
    }
    pending_.clear();
    self = std::move(self_);
  }
  for (auto& [taken, p] : ended) {
    // Maybe taken: the holder may be running it, so only an idempotent
    // call may go elsewhere (the router knows which).
    absl::Status why =
        taken ? absl::UnavailableError(absl::StrCat(
                    "the link to the replica holding the connector broke during the call: ",
                    status.error_message()))
              : NotSentError(absl::StrCat("the replica holding the connector did not take the "
                                          "call: ",
                                          status.error_message()));
    Complete(std::move(p), std::move(why));
  }
}

void PeerLink::Stream::Complete(Pending pending, absl::StatusOr<v1::CallResult> outcome) {
  pending.handlers.on_done(std::move(outcome));
  pending.on_end();
}

}  // namespace dirbridge::cloud
