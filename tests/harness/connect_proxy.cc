#include "tests/harness/connect_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/numbers.h"

namespace dirbridge::testing {

ConnectProxy::~ConnectProxy() {
  stop_ = true;
  if (listener_ >= 0) shutdown(listener_, SHUT_RDWR), close(listener_);
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& t : relays_) t.join();
}

absl::Status ConnectProxy::Start() {
  listener_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener_, 16) != 0) {
    return absl::InternalError("proxy: cannot listen");
  }
  socklen_t len = sizeof(addr);
  getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
  return absl::OkStatus();
}

void ConnectProxy::Accept() {
  while (!stop_) {
    pollfd p{listener_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    int client = accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    relays_.emplace_back([this, client] { Relay(client); });
  }
}

void ConnectProxy::Relay(int client) {
  std::string head;
  char buf[16384];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 8192) {
    ssize_t n = read(client, buf, sizeof(buf));
    if (n <= 0) return (void)close(client);
    head.append(buf, n);
  }
  // "CONNECT 127.0.0.1:PORT HTTP/1.1": only loopback targets are relayed.
  size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
  std::string target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t colon = target.rfind(':');
  int port = 0;
  if (head.rfind("CONNECT ", 0) != 0 || colon == std::string::npos ||
      !absl::SimpleAtoi(target.substr(colon + 1), &port)) {
    return (void)close(client);
  }
  int upstream = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const char* bad = "HTTP/1.1 502 Bad Gateway\r\n\r\n";
    write(client, bad, strlen(bad));
    close(upstream);
    return (void)close(client);
  }
  ++tunnels_;
  const char* ok = "HTTP/1.1 200 Connection established\r\n\r\n";
  write(client, ok, strlen(ok));
  std::string rest = head.substr(head.find("\r\n\r\n") + 4);
  if (!rest.empty()) write(upstream, rest.data(), rest.size());
  pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  while (!stop_) {
    if (poll(fds, 2, 100) < 0) break;
    bool done = false;
    for (int i = 0; i < 2 && !done; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0 || write(fds[1 - i].fd, buf, n) != n) done = true;
    }
    if (done) break;
  }
  close(upstream);
  close(client);
}

}  // namespace dirbridge::testing
