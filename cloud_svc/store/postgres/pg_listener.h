#ifndef DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_LISTENER_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_LISTENER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cloud_svc/store/postgres/pg_conn.h"

namespace dirbridge::cloud {

// PostgresStore::WatchSessions: one connection of its own that LISTENs on
// a channel, on a thread of its own, and hands each NOTIFY's payload to
// `on_change`. The first LISTEN is made before the constructor returns, so
// every change committed after it is heard. It polls its socket with a short timeout so that it can
// stop. A lost connection is opened again (every half second while the
// server is away); as notices may have been missed meanwhile, it then calls
// on_change("") so that callers drop what they cached. The destructor stops
// the thread after the callback in progress.
class PgListener {
 public:
  PgListener(std::vector<std::pair<std::string, std::string>> keywords, std::string channel,
             std::function<void(const std::string&)> on_change);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

 private:
  // Connects and LISTENs; nullptr (logged) when the server is away.
  std::unique_ptr<pg::Connection> Listen(bool log_failure);
  void Loop(std::unique_ptr<pg::Connection> conn);
  bool Stopping();
  // Waits up to `d`; true when asked to stop meanwhile.
  bool StopWithin(absl::Duration d);

  const std::vector<std::pair<std::string, std::string>> keywords_;
  const std::string channel_;
  const std::function<void(const std::string&)> on_change_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_LISTENER_H_
