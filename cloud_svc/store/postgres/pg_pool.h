#ifndef DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_POOL_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_POOL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cloud_svc/store/postgres/pg_conn.h"

namespace dirbridge::cloud::pg {

struct PoolOptions {
  // libpq keywords for each connection (a URI under "dbname").
  std::vector<std::pair<std::string, std::string>> keywords;
  // Connections open at most: every caller beyond waits for one.
  int size = 8;
  // How long a caller waits for a connection before UNAVAILABLE.
  absl::Duration checkout_timeout = absl::Seconds(5);
  // Connection::Open's: the longest a statement may wait for its answer.
  absl::Duration query_timeout = absl::Seconds(60);
};

// A bounded pool of connections, opened on demand. A connection found
// broken (the server restarted or went away) is reset when it is next
// lent, and dropped when that fails; the caller gets UNAVAILABLE meanwhile
// and a working connection once the server is back, without a restart.
// Thread-safe.
class Pool {
 public:
  // One caller's connection; back to the pool (or dropped, if broken or
  // left inside a transaction it cannot roll back) when it goes.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& o) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection* operator->() { return conn_.get(); }
    Connection& operator*() { return *conn_; }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  explicit Pool(PoolOptions options) : options_(std::move(options)) {}

  // An idle connection, or a new one while fewer than `size` are open;
  // otherwise waits up to checkout_timeout. UNAVAILABLE when none comes in
  // time or the server cannot be reached.
  absl::StatusOr<Lease> Checkout();

 private:
  void GiveBack(std::unique_ptr<Connection> conn);

  const PoolOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle and lent
};

}  // namespace dirbridge::cloud::pg

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_POOL_H_
