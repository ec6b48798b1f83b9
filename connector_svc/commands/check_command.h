#ifndef DIRBRIDGE_CONNECTOR_SVC_COMMANDS_CHECK_COMMAND_H_
#define DIRBRIDGE_CONNECTOR_SVC_COMMANDS_CHECK_COMMAND_H_

#include <string>

#include "absl/status/status.h"

namespace dirbridge::connector {

// `connector_svc check`: what its flags said.
struct CheckOptions {
  std::string config_path;
};

// The operator's self-test, one line per step on stdout: the config loads;
// LDAP connects, binds and answers the rootDSE; users are visible under the
// base DN (none is a warning, not a failure); the identity is there. OK
// only when every step passed.
absl::Status CheckConnector(const CheckOptions& options);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_COMMANDS_CHECK_COMMAND_H_
