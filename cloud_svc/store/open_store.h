#ifndef DIRBRIDGE_CLOUD_SVC_STORE_OPEN_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_OPEN_STORE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "cloud_svc/config/cloud_config.h"
#include "cloud_svc/store/store.h"

namespace dirbridge::cloud {

// The store --store names: SQLite under --data_dir, or PostgreSQL with the
// password from --store_password_file (else libpq's PGPASSFILE). The pool
// holds a connection for each thread that may touch the store at once
// (--store_threads, --import_threads and the scheduler). Errors name the
// flag; none carries the password.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const CloudConfig& config);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_OPEN_STORE_H_
