#include "cloud_svc/identity/bootstrap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/secrets.h"
#include "common/status_macros.h"
#include "common/x509.h"

namespace dirbridge::cloud {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Every file is 0600 from the moment it exists (never written first and
// narrowed after): a token or key readable for an instant is readable.
absl::Status Put(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write \"", path, "\": ", strerror(errno)));
  }
  // An older file keeps its mode through O_TRUNC: narrow it too.
  bool ok = fchmod(fd, 0600) == 0;
  for (size_t done = 0; ok && done < data.size();) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = close(fd) == 0 && ok;
  if (!ok) return absl::FailedPreconditionError(absl::StrCat("cannot write \"", path, "\""));
  return absl::OkStatus();
}

// The directory is the operator's (0700): the demo's tokens live there.
absl::Status MakePrivateDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create \"", dir, "\": ", strerror(errno)));
  }
  if (chmod(dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot make \"", dir, "\" 0700: ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status BootstrapBackendTls(const std::string& dir, const std::string& cert_file,
                                 const std::string& key_file,
                                 const std::vector<std::string>& names) {
  if (Exists(cert_file) && Exists(key_file)) return absl::OkStatus();
  RETURN_IF_ERROR(MakePrivateDir(dir));
  ASSIGN_OR_RETURN(x509::KeyAndCert ca, x509::NewCa("dirbridge demo backend CA", absl::Hours(24 * 365)));
  ASSIGN_OR_RETURN(x509::KeyAndCert server,
                   x509::NewServerCert(ca, names.empty() ? "localhost" : names.front(), names,
                                       absl::Hours(24 * 365)));
  RETURN_IF_ERROR(Put(dir + "/backend-ca.pem", ca.cert_pem));
  RETURN_IF_ERROR(Put(cert_file, server.cert_pem));
  RETURN_IF_ERROR(Put(key_file, server.key_pem));
  spdlog::info("event=bootstrap_backend_tls dir=\"{}\"", dir);
  return absl::OkStatus();
}

absl::Status BootstrapDemoTenant(const std::string& dir, Store* store, Registrar* registrar) {
  if (Exists(dir + "/tenant.token")) return absl::OkStatus();
  RETURN_IF_ERROR(MakePrivateDir(dir));
  ASSIGN_OR_RETURN(std::string token, NewSecretToken());
  TenantRecord tenant{NewId(), "demo", absl::Now()};
  RETURN_IF_ERROR(store->CreateTenant(tenant, Sha256Hex(token)));
  ConnectorRecord c;
  c.tenant_id = tenant.tenant_id;
  c.connector_id = NewId();
  c.name = "demo-connector";
  c.created_at = absl::Now();
  RETURN_IF_ERROR(store->CreateConnector(c));
  ASSIGN_OR_RETURN(IssuedKey key, registrar->IssueKey(tenant.tenant_id, c.connector_id,
                                                      absl::ZeroDuration()));
  RETURN_IF_ERROR(Put(dir + "/registration.key", key.key));
  RETURN_IF_ERROR(Put(dir + "/ca_sha256", registrar->ca_sha256()));
  RETURN_IF_ERROR(Put(dir + "/tenant.token", token));
  spdlog::info("event=bootstrap_demo_tenant tenant={} connector={}", tenant.tenant_id,
               c.connector_id);
  return absl::OkStatus();
}

}  // namespace dirbridge::cloud
