#ifndef DIRBRIDGE_TESTS_BENCH_FAKE_CONNECTORS_H_
#define DIRBRIDGE_TESTS_BENCH_FAKE_CONNECTORS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace dirbridge::bench {

// Many idle connectors in one process, each on its own TCP connection:
// they say Hello, answer Pings and echo Echo calls. For measuring what one
// cloud_svc pays per held session. A stream that ends is opened again on
// a new channel after connector_svc's own reconnect policy (its default
// backoff, jitter and reset rules: TunnelClient::Run), so a cloud that
// restarts meets the storm a fleet of real connectors would make.
class FakeConnectors {
 public:
  FakeConnectors();
  ~FakeConnectors();
  // One connector per credential, to `address` (plaintext).
  absl::Status Open(const std::string& address, const std::vector<std::string>& credentials);
  // Settings received, ever.
  int accepted() const;
  // Connectors whose current stream has had its Settings and not ended.
  int connected() const;
  // Connectors connected now on a stream accepted at or after `t`.
  int ConnectedSince(absl::Time t) const;
  // Connectors the cloud refused (UNAUTHENTICATED or PERMISSION_DENIED):
  // a real connector logs that it must be registered again.
  int refused() const;
  void CloseAll();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dirbridge::bench

#endif  // DIRBRIDGE_TESTS_BENCH_FAKE_CONNECTORS_H_
