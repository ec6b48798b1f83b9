#ifndef DIRBRIDGE_CLOUD_SVC_IDENTITY_BOOTSTRAP_H_
#define DIRBRIDGE_CLOUD_SVC_IDENTITY_BOOTSTRAP_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cloud_svc/identity/registrar.h"
#include "cloud_svc/store/store.h"

namespace dirbridge::cloud {

// For demo stacks (docker-compose) only: what an operator would do by hand.
//
// BootstrapBackendTls: when `cert_file`/`key_file` do not exist yet, makes a
// CA (`dir`/backend-ca.pem) and a backend certificate for `names`.
absl::Status BootstrapBackendTls(const std::string& dir, const std::string& cert_file,
                                 const std::string& key_file,
                                 const std::vector<std::string>& names);

// On a store with no tenant: tenant "demo", connector "demo-connector", a
// registration key. Writes `dir`/tenant.token, registration.key and
// ca_sha256.
//
// Both write every file 0600 and make `dir` 0700: a demo's tokens are
// still tokens. Whoever reads them (the demo connector) runs as the same
// user.
absl::Status BootstrapDemoTenant(const std::string& dir, Store* store, Registrar* registrar);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_IDENTITY_BOOTSTRAP_H_
