#include "cloud_svc/store/postgres/pg_pool.h"

#include "absl/strings/str_cat.h"

namespace dirbridge::cloud::pg {
namespace {

// Whether an idle connection still works, without a round trip: a server
// that shut down or restarted has closed the socket, which libpq notices
// once it reads what is waiting there.
bool LooksAlive(Connection& c) {
  if (c.broken()) return false;
  return PQconsumeInput(c.raw()) == 1 && !c.broken();
}

}  // namespace

Pool::Lease::~Lease() {
  if (conn_ != nullptr) pool_->GiveBack(std::move(conn_));
}

absl::StatusOr<Pool::Lease> Pool::Checkout() {
  std::unique_ptr<Connection> conn;
  {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.size;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&ready), options_.checkout_timeout)) {
      return absl::UnavailableError(absl::StrCat(
          "postgres: all ", options_.size, " connections busy for ",
          absl::FormatDuration(options_.checkout_timeout), " (the pool size)"));
    }
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // a place held for the connection made below
    }
  }
  // Connecting and resetting happen outside the lock: they wait on the
  // network, up to connect_timeout.
  if (conn == nullptr) {
    absl::StatusOr<std::unique_ptr<Connection>> made = Connection::Open(options_.keywords, options_.query_timeout);
    if (!made.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
      return made.status();
    }
    conn = std::move(*made);
  } else if (!LooksAlive(*conn)) {
    if (absl::Status st = conn->Reset(); !st.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
      return st;
    }
  }
  return Lease(this, std::move(conn));
}

void Pool::GiveBack(std::unique_ptr<Connection> conn) {
  // A body that failed mid-transaction has rolled back already; this is the
  // last resort, so that no lease leaves a transaction open for the next.
  if (!conn->broken() && PQtransactionStatus(conn->raw()) != PQTRANS_IDLE) {
    conn->ExecScript("ROLLBACK").IgnoreError();
  }
  const bool keep = !conn->broken() && PQtransactionStatus(conn->raw()) == PQTRANS_IDLE;
  absl::MutexLock lock(&mu_);
  if (keep) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // broken: the next caller opens a fresh one
  }
}

}  // namespace dirbridge::cloud::pg
