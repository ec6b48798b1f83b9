#include "cloud_svc/store/postgres/pg_listener.h"

#include <poll.h>

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/postgres/pg_conn.h"
#include "common/log.h"

namespace dirbridge::cloud {

PgListener::PgListener(std::vector<std::pair<std::string, std::string>> keywords,
                       std::string channel, std::function<void(const std::string&)> on_change)
    : keywords_(std::move(keywords)), channel_(std::move(channel)), on_change_(std::move(on_change)) {
  std::unique_ptr<pg::Connection> first = Listen(/*log_failure=*/true);
  thread_ = std::thread([this, c = std::move(first)]() mutable { Loop(std::move(c)); });
}

PgListener::~PgListener() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

bool PgListener::Stopping() {
  absl::MutexLock lock(&mu_);
  return stop_;
}

bool PgListener::StopWithin(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
  return mu_.AwaitWithTimeout(absl::Condition(&stop), d);
}

std::unique_ptr<pg::Connection> PgListener::Listen(bool log_failure) {
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn = pg::Connection::Open(keywords_);
  absl::Status st = conn.ok() ? (*conn)->ExecScript(absl::StrCat("LISTEN ", channel_))
                              : conn.status();
  if (!st.ok()) {
    if (log_failure) spdlog::warn("event=store_listen_failed error=\"{}\"", st.message());
    return nullptr;
  }
  return std::move(*conn);
}

void PgListener::Loop(std::unique_ptr<pg::Connection> conn) {
  bool missed = conn == nullptr;  // notices may have gone by unheard
  while (!Stopping()) {
    if (conn == nullptr) {
      if (StopWithin(absl::Milliseconds(500))) return;
      conn = Listen(/*log_failure=*/false);  // every half second: once in the log is enough
      if (conn == nullptr) continue;
    }
    if (missed) {
      spdlog::info("event=store_listen_back");
      on_change_("");
      missed = false;
    }
    PGconn* raw = conn->raw();
    while (!Stopping()) {
      pollfd pfd{PQsocket(raw), POLLIN, 0};
      poll(&pfd, 1, /*timeout_ms=*/200);
      if (PQconsumeInput(raw) == 0 || conn->broken()) break;
      while (PGnotify* n = PQnotifies(raw)) {
        std::string tenant_id = n->extra;
        PQfreemem(n);
        on_change_(tenant_id);
      }
    }
    if (!Stopping()) spdlog::warn("event=store_listen_lost");
    conn.reset();
    missed = true;
  }
}

}  // namespace dirbridge::cloud
