#include "connector_svc/ldap/connection_pool.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"

namespace dirbridge::connector {

absl::StatusOr<std::unique_ptr<LdapConnection>> ConnectionPool::Dial(
    const OpContext& ctx) {
  std::vector<std::string> failures;
  for (const std::string& uri : uris_) {
    absl::StatusOr<std::unique_ptr<LdapConnection>> conn = dialer_(uri, ctx);
    if (conn.ok()) {
      healthy_ = true;
      return conn;
    }
    // A refused service bind is the same on every server: do not hide it
    // behind "unavailable". Nor is the directory healthy: it answers, but
    // serves this connector nothing.
    if (!absl::IsUnavailable(conn.status())) {
      healthy_ = false;
      return conn.status();
    }
    spdlog::warn("event=ldap_server_down uri={} error=\"{}\"", uri,
                 conn.status().message());
    failures.push_back(std::string(conn.status().message()));
    if (ctx.Cancelled() || absl::Now() >= ctx.deadline) break;
  }
  healthy_ = false;
  return absl::UnavailableError(absl::StrCat(
      "ldap: no server answered (tried ", absl::StrJoin(uris_, ", "),
      "): ", absl::StrJoin(failures, "; ")));
}

absl::StatusOr<std::unique_ptr<LdapConnection>> ConnectionPool::Acquire(
    const OpContext& ctx, bool fresh) {
  {
    absl::MutexLock lock(&mu_);
    auto room = [this, fresh]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return (!fresh && !idle_.empty()) || open_ < size_;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&room), ctx.deadline)) {
      return absl::DeadlineExceededError(
          "ldap: every pooled connection stayed busy until the deadline");
    }
    if (!fresh && !idle_.empty()) {
      std::unique_ptr<LdapConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;
  }
  absl::StatusOr<std::unique_ptr<LdapConnection>> conn = Dial(ctx);
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
  }
  return conn;
}

std::unique_ptr<LdapConnection> ConnectionPool::TryTakeIdle() {
  absl::MutexLock lock(&mu_);
  if (idle_.empty()) return nullptr;
  std::unique_ptr<LdapConnection> conn = std::move(idle_.back());
  idle_.pop_back();
  return conn;
}

void ConnectionPool::Release(std::unique_ptr<LdapConnection> conn) {
  absl::MutexLock lock(&mu_);
  if (conn->usable()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
}

absl::Status ConnectionPool::With(const OpContext& ctx, const Op& op) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<std::unique_ptr<LdapConnection>> conn = Acquire(ctx, attempt > 0);
    if (!conn.ok()) return conn.status();
    absl::Status st = op(**conn);
    bool dead = !(*conn)->usable() && absl::IsUnavailable(st);
    Release(std::move(*conn));
    if (!dead || attempt == 1) return st;
    // The server closed the connection (AD does after 900 s idle) or went
    // away: one more try on a fresh connection, which fails over.
  }
  return absl::InternalError("ldap: unreachable");
}

}  // namespace dirbridge::connector
