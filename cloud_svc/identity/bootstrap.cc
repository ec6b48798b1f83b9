#include "cloud_svc/identity/bootstrap.h"

#include <sys/stat.h>

#include <fstream>

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

absl::Status Put(const std::string& path, const std::string& data, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
    if (!out) return absl::FailedPreconditionError(absl::StrCat("cannot write \"", path, "\""));
  }
  chmod(path.c_str(), mode);
  return absl::OkStatus();
}

}  // namespace

absl::Status BootstrapBackendTls(const std::string& dir, const std::string& cert_file,
                                 const std::string& key_file,
                                 const std::vector<std::string>& names) {
  if (Exists(cert_file) && Exists(key_file)) return absl::OkStatus();
  mkdir(dir.c_str(), 0755);
  ASSIGN_OR_RETURN(x509::KeyAndCert ca, x509::NewCa("dirbridge demo backend CA", absl::Hours(24 * 365)));
  ASSIGN_OR_RETURN(x509::KeyAndCert server,
                   x509::NewServerCert(ca, names.empty() ? "localhost" : names.front(), names,
                                       absl::Hours(24 * 365)));
  RETURN_IF_ERROR(Put(dir + "/backend-ca.pem", ca.cert_pem, 0644));
  RETURN_IF_ERROR(Put(cert_file, server.cert_pem, 0644));
  RETURN_IF_ERROR(Put(key_file, server.key_pem, 0600));
  spdlog::info("event=bootstrap_backend_tls dir=\"{}\"", dir);
  return absl::OkStatus();
}

absl::Status BootstrapDemoTenant(const std::string& dir, Store* store, Registrar* registrar) {
  if (Exists(dir + "/tenant.token")) return absl::OkStatus();
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
  RETURN_IF_ERROR(Put(dir + "/registration.key", key.key, 0644));
  RETURN_IF_ERROR(Put(dir + "/ca_sha256", registrar->ca_sha256(), 0644));
  RETURN_IF_ERROR(Put(dir + "/tenant.token", token, 0644));
  spdlog::info("event=bootstrap_demo_tenant tenant={} connector={}", tenant.tenant_id,
               c.connector_id);
  return absl::OkStatus();
}

}  // namespace dirbridge::cloud
