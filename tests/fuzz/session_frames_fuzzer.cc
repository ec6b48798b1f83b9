// The cloud's Session fed hostile ConnectorFrames: bytes -> frame -> the
// session's state and limits. gRPC's stream is replaced by a fake bound to
// the reactor, so every read, write and finish is the fuzzer's to complete;
// the cloud's own side (calls, cancels, credits, heartbeats) is driven from
// the same input. Nothing a connector sends may crash the session, leave a
// call unanswered, let a chunk pass without a credit, or make the cloud
// queue frames without bound.
#include <fuzzer/FuzzedDataProvider.h>

#include <map>
#include <memory>

#include "cloud_svc/routing/session.h"
#include "dirbridge/v1/tunnel.pb.h"
#include "tests/fuzz/fuzz_support.h"

namespace dirbridge::cloud {
namespace {

// Stands where gRPC's call would: records what the reactor asks for.
class FakeStream : public grpc::ServerCallbackReaderWriter<v1::ConnectorFrame, v1::CloudFrame> {
 public:
  void Bind(Session* session) {
    session_ = session;
    BindReactor(session);
  }
  void Finish(grpc::Status s) override {
    FUZZ_CHECK(!finished);  // once
    finished = true;
    status = std::move(s);
  }
  void SendInitialMetadata() override {}
  void Read(v1::ConnectorFrame* msg) override {
    FUZZ_CHECK(read_slot == nullptr);  // one read in flight
    FUZZ_CHECK(!finished);
    read_slot = msg;
  }
  void Write(const v1::CloudFrame* msg, grpc::WriteOptions) override {
    FUZZ_CHECK(write_slot == nullptr);  // one write in flight
    FUZZ_CHECK(!finished);
    write_slot = msg;
  }
  void WriteAndFinish(const v1::CloudFrame*, grpc::WriteOptions, grpc::Status) override {
    FUZZ_CHECK(false);  // Session never uses it
  }

  v1::ConnectorFrame* read_slot = nullptr;
  const v1::CloudFrame* write_slot = nullptr;
  bool finished = false;
  grpc::Status status;

 private:
  grpc::internal::ServerReactor* reactor() override { return session_; }
  void CallOnDone() override {}
  Session* session_ = nullptr;
};

struct Host : SessionHost {
  void OnHello(std::shared_ptr<Session> session) override {
    ++hellos;
    pending = std::move(session);
  }
  void OnSessionReady(std::shared_ptr<Session>) override { ++ready; }
  void OnSessionClosed(Session*, const absl::Status& why) override {
    ++closed;
    FUZZ_CHECK(!why.ok());
  }
  std::shared_ptr<Session> pending;
  int hellos = 0, ready = 0, closed = 0;
};

// What the cloud's side knows of one call it started.
struct CallState {
  bool streams = false;
  bool done = false;
  uint64_t credits = 0;  // given, initial and granted
  uint64_t chunks = 0;
};

enum Op : uint8_t {
  kFrame, kGarbage, kStartCall, kCancel, kGrant, kWriteOk, kWriteFail, kHeartbeat,
  kAccept, kPeerGone, kOpCount
};

void Run(FuzzedDataProvider& in) {
  SessionLimits limits;
  limits.max_concurrent_calls = in.ConsumeIntegralInRange<uint32_t>(1, 8);
  limits.initial_stream_credits = in.ConsumeIntegralInRange<uint32_t>(0, 4);
  limits.max_outbox_frames = in.ConsumeIntegralInRange<size_t>(1, 16);
  limits.max_message_bytes = in.ConsumeIntegralInRange<size_t>(0, 64);
  limits.max_hostname_bytes = in.ConsumeIntegralInRange<size_t>(0, 64);

  Host host;
  grpc::CallbackServerContext context;  // never reached: see kHeartbeat
  std::shared_ptr<Session> session = Session::Start(&context, &host, limits);
  FakeStream stream;
  stream.Bind(session.get());
  if (!session->Begin(ConnectorIdentity{"tenant", "connector"}, "presented")) return;

  // shared_ptr: a handler may run after this scope's bookkeeping moved on.
  auto calls = std::make_shared<std::map<uint64_t, CallState>>();
  absl::Time now = absl::Now();
  size_t frames_queued_by_cloud = 0;  // writes the cloud side asked for
  size_t writes_done = 0;
  bool settings_seen = false;

  auto complete_write = [&](bool ok) {
    const v1::CloudFrame* w = stream.write_slot;
    if (w == nullptr) return;
    // Nothing but Settings may precede the first call; Settings once.
    if (w->has_settings()) {
      FUZZ_CHECK(!settings_seen);
      settings_seen = true;
    }
    if (w->has_call()) FUZZ_CHECK(settings_seen);
    stream.write_slot = nullptr;
    ++writes_done;
    session->OnWriteDone(ok);
  };
  // Close(UNAVAILABLE) with a write in flight cancels the gRPC context,
  // which a fake call cannot have: complete the write first, as a peer
  // that reads would.
  auto settle_writes = [&] {
    while (stream.write_slot != nullptr) complete_write(true);
  };

  while (in.remaining_bytes() > 0 && !stream.finished) {
    switch (in.ConsumeIntegralInRange<uint8_t>(0, kOpCount - 1)) {
      case kFrame:
      case kGarbage: {
        if (stream.read_slot == nullptr) break;
        std::string bytes = in.ConsumeRandomLengthString(4096);
        v1::ConnectorFrame* slot = stream.read_slot;
        // gRPC ends a stream whose message does not parse; it never
        // reaches the reactor.
        if (!slot->ParseFromString(bytes)) break;
        stream.read_slot = nullptr;
        session->OnReadDone(true);
        break;
      }
      case kStartCall: {
        bool streams = in.ConsumeBool();
        v1::CallRequest request;
        request.mutable_echo()->set_payload("x");
        CallHandlers handlers;
        auto id = std::make_shared<uint64_t>(0);
        if (streams) {
          handlers.on_chunk = [calls, id](v1::ResultChunk&&) {
            CallState& c = (*calls)[*id];
            ++c.chunks;
            FUZZ_CHECK(c.chunks <= c.credits);  // no chunk without a credit
          };
        }
        handlers.on_done = [calls, id](absl::StatusOr<v1::CallResult>) {
          CallState& c = (*calls)[*id];
          FUZZ_CHECK(!c.done);  // exactly once
          c.done = true;
        };
        size_t in_flight = static_cast<size_t>(session->InFlight());
        absl::StatusOr<uint64_t> started = session->StartCall(request, std::move(handlers));
        if (started.ok()) {
          FUZZ_CHECK(in_flight < limits.max_concurrent_calls);
          *id = *started;
          CallState& c = (*calls)[*started];
          c.streams = streams;
          c.credits = streams ? limits.initial_stream_credits : 0;
          ++frames_queued_by_cloud;
        }
        break;
      }
      case kCancel:
      case kGrant: {
        if (calls->empty()) break;
        auto it = calls->begin();
        std::advance(it, in.ConsumeIntegralInRange<size_t>(0, calls->size() - 1));
        if (it->second.done) break;
        ++frames_queued_by_cloud;
        if (in.ConsumeBool()) {
          session->CancelCall(it->first, absl::CancelledError("fuzz"));
          FUZZ_CHECK(it->second.done);
        } else {
          uint32_t n = in.ConsumeIntegralInRange<uint32_t>(0, 3);
          it->second.credits += n;
          session->GrantCredit(it->first, n);
        }
        break;
      }
      case kWriteOk:
        complete_write(true);
        break;
      case kWriteFail:
        complete_write(false);
        break;
      case kHeartbeat:
        settle_writes();
        now += absl::Seconds(in.ConsumeIntegralInRange<int>(0, 40));
        ++frames_queued_by_cloud;
        session->Heartbeat(now);
        break;
      case kAccept:
        if (host.pending) {
          std::shared_ptr<Session> s = std::move(host.pending);
          s->Accept();
        }
        break;
      case kPeerGone:
        settle_writes();
        if (stream.read_slot != nullptr && in.ConsumeBool()) {
          stream.read_slot = nullptr;
          session->OnReadDone(false);
        } else {
          session->OnCancel();
        }
        break;
    }
    // The session takes no more calls than its limit, whatever was sent.
    FUZZ_CHECK(static_cast<size_t>(session->InFlight()) <= limits.max_concurrent_calls);
    FUZZ_CHECK(host.hellos <= 1);
    FUZZ_CHECK(host.ready <= 1);
    FUZZ_CHECK(host.closed <= 1);
  }
  // The end: the peer goes away; every call gets its answer.
  settle_writes();
  if (!stream.finished) {
    if (stream.read_slot != nullptr) {
      stream.read_slot = nullptr;
      session->OnReadDone(false);
    } else {
      session->OnCancel();
    }
  }
  settle_writes();
  FUZZ_CHECK(stream.write_slot == nullptr);
  FUZZ_CHECK(stream.finished);
  // What gRPC does after Finish: the read in flight fails, then OnDone.
  if (stream.read_slot != nullptr) {
    stream.read_slot = nullptr;
    session->OnReadDone(false);
  }
  FUZZ_CHECK(host.closed == 1);
  FUZZ_CHECK(!stream.status.ok());
  for (const auto& [id, c] : *calls) FUZZ_CHECK(c.done);
  // What a connector sent never made the cloud write: every write was the
  // cloud's own (calls, cancels, credits, pings), its Settings or its Goaway.
  FUZZ_CHECK(writes_done <= frames_queued_by_cloud + 2);
  session->OnDone();
}

}  // namespace
}  // namespace dirbridge::cloud

DIRBRIDGE_FRAME_FUZZER(dirbridge::cloud::Run)
