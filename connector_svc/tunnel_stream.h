#ifndef DIRBRIDGE_CONNECTOR_SVC_TUNNEL_STREAM_H_
#define DIRBRIDGE_CONNECTOR_SVC_TUNNEL_STREAM_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include <deque>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "connector_svc/call.h"
#include "connector_svc/dispatcher.h"
#include "dirbridge/v1/tunnel.grpc.pb.h"

namespace dirbridge::connector {

class TunnelClient;

// One Connect stream (callback API, one reactor per stream).
//
// Concurrency: members below mu_ are guarded by it. One read and one write
// in flight: frames queue in outbox_ and the next write starts from
// OnWriteDone. Handlers answer from pool threads through Answer(), which
// drops answers to calls the cloud cancelled. Handlers hold the stream by
// shared_ptr, so an answer that comes after the stream ended is dropped, not
// written to freed memory.
class TunnelStream : public grpc::ClientBidiReactor<v1::ConnectorFrame, v1::CloudFrame>,
                     public std::enable_shared_from_this<TunnelStream> {
 public:
  TunnelStream(TunnelClient* client, Dispatcher* dispatcher, Directory* directory);

  void Start(v1::ConnectorTunnel::Stub* stub, const v1::Hello& hello,
             const class Identity& identity);
  // No new calls; the stream closes once the calls in flight are answered.
  void Drain();
  // Ends the stream now.
  void Abort();

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnWritesDoneDone(bool /*ok*/) override {}
  void OnDone(const grpc::Status& status) override;

  grpc::Status status() const;

 private:
  void HandleFrame(v1::CloudFrame& frame);
  void StartCallFrame(v1::CallRequest& request);
  void Answer(v1::CallResult result);
  void SendChunk(v1::ResultChunk chunk);
  void Send(v1::ConnectorFrame frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeWritesDoneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  TunnelClient* const client_;
  Dispatcher* const dispatcher_;
  Directory* const directory_;
  grpc::ClientContext context_;
  v1::CloudFrame in_;

  mutable absl::Mutex mu_;
  std::shared_ptr<TunnelStream> self_ ABSL_GUARDED_BY(mu_);  // until OnDone
  std::deque<v1::ConnectorFrame> outbox_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_done_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool reported_ldap_ok_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t initial_credits_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t max_frame_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // 0: Call's default
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::shared_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_TUNNEL_STREAM_H_
