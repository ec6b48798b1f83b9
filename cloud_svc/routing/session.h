#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_SESSION_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_SESSION_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloud_svc/identity/connector_identity.h"
#include "cloud_svc/routing/call_target.h"
#include "cloud_svc/routing/frame_limits.h"
#include "dirbridge/v1/tunnel.pb.h"

namespace dirbridge::cloud {

class Session;

// What a session tells its owner. Called without the session's lock held.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  // The Hello arrived and passed the session's own checks. The host checks
  // the connector's credential again and calls Accept (or Close).
  virtual void OnHello(std::shared_ptr<Session> session) = 0;
  // Accepted: Settings go out and the session takes calls as soon as this
  // returns, so that a connector holding its Settings is always routable.
  virtual void OnSessionReady(std::shared_ptr<Session> session) = 0;
  // The stream is over. `why` is what ended it.
  virtual void OnSessionClosed(Session* session, const absl::Status& why) = 0;
};


// One connector's tunnel stream (callback API, one reactor per stream).
//
// Concurrency: every member below mu_ is guarded by it. gRPC allows one read
// and one write in flight; writes are queued in outbox_ and the next one is
// started from OnWriteDone. Handlers of calls run with mu_ released. The
// session keeps itself alive (self_) until OnDone, and owners hold it by
// shared_ptr, so a call that races with the end of the stream finds a
// closed session, never freed memory.
class Session : public grpc::ServerBidiReactor<v1::ConnectorFrame, v1::CloudFrame>,
                public CallTarget {
 public:
  // A stream whose connector is not known yet: the store says who it is,
  // off the reaction's thread, and then Begin or Refuse.
  static std::shared_ptr<Session> Start(grpc::CallbackServerContext* context,
                                        SessionHost* host, const SessionLimits& limits);

  // The stream is `identity`'s: starts reading. Call once the owner can
  // hear about the session. False, and nothing happens, if the stream has
  // ended meanwhile.
  bool Begin(ConnectorIdentity identity, std::string presented);
  // The host found the credential still valid: Settings, then calls.
  void Accept();
  // What the stream presented (the credential or certificate), for checks
  // again later; set by Begin.
  const std::string& presented() const { return presented_; }
  // Ends a stream that never began, with `why`.
  void Refuse(const absl::Status& why);

  // Set by Begin; empty before.
  const ConnectorIdentity& identity() const { return identity_; }
  const std::string& target_connector_id() const override { return identity_.connector_id; }
  const std::string& replica_id() const override {
    static const std::string* const kThisReplica = new std::string();
    return *kThisReplica;
  }
  // Valid once ready.
  const v1::Hello& hello() const { return hello_; }
  // The revision both sides speak; valid once ready.
  unsigned revision() const { return revision_; }

  // Sends a call down the tunnel. UNAVAILABLE when the session is closing,
  // RESOURCE_EXHAUSTED when it carries its maximum of calls.
  absl::StatusOr<uint64_t> StartCall(v1::CallRequest request,
                                     CallHandlers handlers) override;
  // The caller gave up: tells the connector, completes on_done with CANCELLED.
  void CancelCall(uint64_t call_id, const absl::Status& why) override;
  void GrantCredit(uint64_t call_id, uint32_t n) override;

  // Pings, or ends the session when the connector has been silent for
  // missed_heartbeats intervals.
  void Heartbeat(absl::Time now);
  // Staged close: Goaway, then the stream ends with `why`. A session whose
  // peer stopped reading (UNAVAILABLE) is cut at once instead.
  void Close(const absl::Status& why);
  // This replica is going away: Goaway now and no new calls, so that the
  // connector opens a stream to another replica at once; this stream ends
  // with `why` when the calls in flight have their answers (or by Close).
  void Retire(const absl::Status& why);

  int InFlight() const override;
  // The connector said Goaway: it finishes what it has and takes nothing new.
  bool Draining() const;
  // Ready, and neither closing nor draining: a call sent now may be answered.
  bool TakingCalls() const override;
  // Hello and Settings were exchanged, whether or not it is closing now.
  bool WasReady() const;
  bool ldap_ok() const;
  absl::Time last_frame() const;

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;
  void OnCancel() override;

 private:
  Session(grpc::CallbackServerContext* context, SessionHost* host, const SessionLimits& limits);

  void HandleFrame(v1::ConnectorFrame& frame);
  void HandleHello(const v1::Hello& hello);
  void Send(v1::CloudFrame frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  grpc::WriteOptions NextWriteOptions() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CloseLocked(const absl::Status& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a call ends: a retiring session with none left closes.
  void MaybeRetired();

  grpc::CallbackServerContext* const context_;
  SessionHost* const host_;
  // Written once by Begin, under mu_, before the first read; read without
  // the lock only after that.
  ConnectorIdentity identity_;
  std::string presented_;  // likewise
  const SessionLimits limits_;
  v1::Hello hello_;  // written once, before the session is ready
  unsigned revision_ = 0;  // likewise
  v1::ConnectorFrame in_;  // the one read in flight

  mutable absl::Mutex mu_;
  std::shared_ptr<Session> self_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::CloudFrame> outbox_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool accepted_ ABSL_GUARDED_BY(mu_) = false;  // Accept ran: the host has it
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  bool hello_seen_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool retiring_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status retire_status_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status close_status_ ABSL_GUARDED_BY(mu_);
  uint64_t next_call_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t ping_seq_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_frame_ ABSL_GUARDED_BY(mu_);
  bool ldap_ok_ ABSL_GUARDED_BY(mu_) = false;
  // A call in flight and, for a streamed one, the chunks it may still send:
  // enforced here too, so a connector cannot push what was not asked for.
  struct PendingCall {
    CallHandlers handlers;
    uint32_t credits = 0;
  };
  absl::flat_hash_map<uint64_t, PendingCall> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_SESSION_H_
