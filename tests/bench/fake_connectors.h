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
// cloud_svc pays per held session.
class FakeConnectors {
 public:
  FakeConnectors();
  ~FakeConnectors();
  // One stream per credential, to `address` (plaintext).
  absl::Status Open(const std::string& address, const std::vector<std::string>& credentials);
  int accepted() const;
  void CloseAll();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dirbridge::bench

#endif  // DIRBRIDGE_TESTS_BENCH_FAKE_CONNECTORS_H_
