#ifndef DIRBRIDGE_CONNECTOR_SVC_SECRET_FILE_H_
#define DIRBRIDGE_CONNECTOR_SVC_SECRET_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace dirbridge::connector {

// A file that holds a secret: written whole (temp file, fsync, rename) with
// mode 0600; read only when neither group nor others may read it, else
// FAILED_PRECONDITION naming the file and the chmod that fixes it.
// NOT_FOUND when it does not exist.
absl::Status WriteSecretFile(const std::string& path, const std::string& contents);
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_SECRET_FILE_H_
