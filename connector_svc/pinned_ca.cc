#include "connector_svc/pinned_ca.h"

#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/x509.h"

namespace dirbridge::connector {
namespace {

absl::StatusOr<int> Dial(const std::string& address, absl::Duration timeout) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("\"", address, "\" is not HOST:PORT"));
  }
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve \"", host, "\""));
  }
  int fd = -1;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    struct timeval tv = absl::ToTimeval(timeout);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot connect to ", address));
  return fd;
}

}  // namespace

absl::StatusOr<std::string> FetchPinnedCa(const std::string& address,
                                          const std::string& ca_sha256, absl::Duration timeout) {
  std::string lowered = absl::AsciiStrToLower(absl::StripAsciiWhitespace(ca_sha256));
  absl::string_view view(lowered);
  absl::ConsumePrefix(&view, "sha256:");
  std::string pin(view);
  if (pin.size() != 64 || pin.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return absl::InvalidArgumentError("--ca_sha256 must be 64 hex digits");
  }
  absl::StatusOr<int> fd = Dial(address, timeout);
  if (!fd.ok()) return fd.status();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  // Nothing is trusted yet: the chain is only read, and the CA in it is
  // accepted by its hash alone.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof(kAlpn));
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, *fd);
  absl::StatusOr<std::string> out = absl::UnavailableError(
      absl::StrCat("TLS handshake with ", address, " failed"));
  if (SSL_connect(ssl) == 1) {
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
    out = absl::PermissionDeniedError(absl::StrCat(
        "the cloud at ", address, " did not present a CA with SHA-256 ", pin,
        "; not sending the registration key (check --ca_sha256 and --cloud)"));
    for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
      X509* cert = sk_X509_value(chain, i);
      unsigned char* der = nullptr;
      int len = i2d_X509(cert, &der);
      if (len <= 0) continue;
      std::string d(reinterpret_cast<char*>(der), len);
      OPENSSL_free(der);
      if (x509::DerSha256Hex(d) == pin) {
        out = x509::DerToPem(d);
        break;
      }
    }
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(*fd);
  return out;
}

}  // namespace dirbridge::connector
