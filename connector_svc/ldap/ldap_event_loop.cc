#include "connector_svc/ldap/ldap_event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/metrics.h"

namespace dirbridge::connector {
namespace {

// Every operation is looked at this often even without a wake-up: its
// deadline and cancellation, and a result that TLS kept in its own buffer
// where epoll cannot see it. The blocking path waits in slices this long.
constexpr absl::Duration kSweep = absl::Milliseconds(50);

}  // namespace

LdapEventLoop::LdapEventLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    // Out of descriptors at start-up: nothing sensible runs after this.
    spdlog::critical("event=ldap_event_loop_failed errno={}", errno);
    std::abort();
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { Loop(); });
}

LdapEventLoop::~LdapEventLoop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  close(wake_fd_);
  close(epoll_fd_);
}

void LdapEventLoop::Watch(LdapConnection* conn, int msgid, const OpContext& ctx,
                          OnResult on_result) {
  Add(Pending{conn, msgid, ctx, absl::Now(), std::move(on_result)});
}

void LdapEventLoop::Add(Pending p) {
  int fd = p.conn->fd();
  if (fd < 0) {
    std::move(p.on_result)(absl::UnavailableError(
        absl::StrCat("ldap: the connection to ", p.conn->uri(), " has no socket")));
    return;
  }
  absl::ReleasableMutexLock lock(&mu_);
  if (stopping_ || pending_.contains(fd)) {
    // The second case is a caller's bug (one connection, two operations);
    // neither may wait for a loop that will not look.
    lock.Release();  // the continuation may Watch again
    p.conn->Abandon(p.msgid);
    std::move(p.on_result)(absl::CancelledError("ldap: the connector is shutting down"));
    return;
  }
  pending_.emplace(fd, std::move(p));
  // One-shot: the event is ours until the next Add re-arms it, so two
  // wake-ups never race for the same operation. Level-triggered, so a reply
  // that came before the arming still fires.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT) {
    // A socket this loop has not seen (or a new one with an old number:
    // closing a socket drops it from the epoll set).
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void LdapEventLoop::Loop() {
  std::vector<epoll_event> events(64);
  absl::Time next_sweep = absl::Now() + kSweep;
  while (true) {
    int timeout_ms = static_cast<int>(
        absl::ToInt64Milliseconds(std::max(next_sweep - absl::Now(), absl::ZeroDuration())));
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    std::vector<Pending> ready;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      stopping = stopping_;
      for (int i = 0; i < n; ++i) {
        auto it = pending_.find(events[i].data.fd);
        if (it == pending_.end()) continue;  // the wake-up eventfd, or a stale event
        ready.push_back(std::move(it->second));
        pending_.erase(it);
      }
      if (stopping || absl::Now() >= next_sweep) {
        for (auto& [fd, p] : pending_) ready.push_back(std::move(p));
        pending_.clear();
        next_sweep = absl::Now() + kSweep;
      }
    }
    for (Pending& p : ready) Step(std::move(p), stopping);
    if (stopping) {
      absl::MutexLock lock(&mu_);
      if (pending_.empty()) return;
    }
  }
}

void LdapEventLoop::Step(Pending p, bool stopping) {
  absl::StatusOr<LdapMessagePtr> result = p.conn->TakeResult(p.msgid);
  if (!result.ok()) {
    std::move(p.on_result)(result.status());
    return;
  }
  if (*result != nullptr) {
    Metrics::Get().Observe("dirbridge_ldap_operation_seconds", {{"server", p.conn->uri()}},
                           absl::ToDoubleSeconds(absl::Now() - p.start));
    std::move(p.on_result)(std::move(result));
    return;
  }
  if (stopping || p.ctx.Cancelled()) {
    p.conn->Abandon(p.msgid);
    std::move(p.on_result)(absl::CancelledError("ldap: operation cancelled"));
    return;
  }
  if (absl::Now() >= p.ctx.deadline) {
    p.conn->Abandon(p.msgid);
    std::move(p.on_result)(absl::DeadlineExceededError(
        absl::StrCat("ldap: ", p.conn->uri(), " did not answer before the deadline")));
    return;
  }
  Add(std::move(p));
}

}  // namespace dirbridge::connector
