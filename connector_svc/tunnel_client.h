#ifndef DIRBRIDGE_CONNECTOR_SVC_TUNNEL_CLIENT_H_
#define DIRBRIDGE_CONNECTOR_SVC_TUNNEL_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "connector_svc/cloud_channel.h"
#include "connector_svc/dispatcher.h"
#include "connector_svc/identity.h"
#include "connector_svc/ldap/directory.h"

namespace dirbridge::connector {

struct TunnelOptions {
  // cloud_svc replicas (or one address). The client starts at a random one
  // and moves to the next when a stream fails or the cloud says Goaway.
  std::vector<std::string> addresses;
  // Called for every connection attempt: a renewed certificate is picked up
  // at the next connection.
  std::function<absl::StatusOr<ChannelSetup>()> channel_setup;
  Identity identity;
  std::string hostname;
  std::string password_public_key;
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(60);
  // Protocol revisions this connector offers in Hello.
  unsigned protocol_revision;
  unsigned min_protocol_revision;
};

class TunnelStream;

// Dials out to the cloud and keeps one tunnel stream open: when it ends, a
// new one is opened after a jittered exponential backoff (reset by every
// stream the cloud accepted). Never gives up. Thread-safe.
class TunnelClient {
 public:
  TunnelClient(TunnelOptions options, Dispatcher* dispatcher, Directory* directory);
  ~TunnelClient();

  // Serves until Stop; returns once the last stream has drained.
  void Run();
  // Staged stop: Goaway, in-flight calls finish until `drain_deadline`, then
  // the stream closes and Run returns.
  void Stop(absl::Time drain_deadline);

  // Called by streams.
  void StreamEnded(TunnelStream* stream);
  void StreamAccepted(TunnelStream* stream);
  // The cloud asked this stream to go (its replica is stopping).
  void StreamGoaway(TunnelStream* stream);

 private:
  // A stream the cloud asked to go, answering its last calls while a new
  // one serves; with the channel it runs on.
  struct Retiring {
    std::shared_ptr<TunnelStream> stream;
    std::shared_ptr<grpc::Channel> channel;
  };

  absl::Duration NextBackoff(absl::Duration current);
  static void AwaitRelease(std::shared_ptr<TunnelStream> stream);
  // Lets go of retiring streams that have ended.
  void ReleaseRetired();
  // At stop: the retiring streams finish (or are cut at the deadline).
  void FinishRetiring(absl::Time deadline);

  const TunnelOptions options_;
  Dispatcher* const dispatcher_;
  Directory* const directory_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time drain_deadline_ ABSL_GUARDED_BY(mu_);
  // The stream being served now; the flags below are about it alone.
  TunnelStream* current_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stream_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool accepted_ ABSL_GUARDED_BY(mu_) = false;
  bool goaway_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Retiring> retiring_ ABSL_GUARDED_BY(mu_);
  std::vector<TunnelStream*> retired_ ABSL_GUARDED_BY(mu_);  // ended, to release
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_TUNNEL_CLIENT_H_
