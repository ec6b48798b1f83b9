#ifndef DIRBRIDGE_TESTS_HARNESS_CONNECT_PROXY_H_
#define DIRBRIDGE_TESTS_HARNESS_CONNECT_PROXY_H_

#include <atomic>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace dirbridge::testing {

// A minimal HTTP CONNECT proxy on 127.0.0.1, for checking that a client
// goes through a proxy: it relays bytes and counts tunnels. Loopback only.
class ConnectProxy {
 public:
  ~ConnectProxy();
  absl::Status Start();
  int port() const { return port_; }
  int tunnels() const { return tunnels_.load(); }

 private:
  void Accept();
  void Relay(int client);

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> tunnels_{0};
  std::thread acceptor_;
  std::vector<std::thread> relays_;
};

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_HARNESS_CONNECT_PROXY_H_
