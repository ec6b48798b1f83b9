#ifndef DIRBRIDGE_CLOUD_SVC_SERVER_STARTUP_FILES_H_
#define DIRBRIDGE_CLOUD_SVC_SERVER_STARTUP_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dirbridge::cloud {

// The files cloud_svc reads and writes once, while it starts. Each error
// names the flag or file so that an operator knows what to fix.

// The whole file; FAILED_PRECONDITION naming it when it cannot be read.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Creates --data_dir if needed and makes it private (mode 0700): it holds
// the store and the tunnel CA's key.
absl::Status PrepareDataDir(const std::string& data_dir);

// The token in --operator_token_file, surrounding whitespace removed; empty
// when `path` is empty. A token under 16 characters is FAILED_PRECONDITION.
absl::StatusOr<std::string> ReadOperatorToken(const std::string& path);

// Writes `backend=N`, `tunnel=N` and (a replica with --peer_addr)
// `peer=N` lines to --ports_file, atomically (a reader polling for the
// file never sees half of it).
absl::Status WritePortsFile(const std::string& path, int backend_port, int tunnel_port,
                            int peer_port = 0);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_SERVER_STARTUP_FILES_H_
