#ifndef DIRBRIDGE_CONNECTOR_SVC_COMMANDS_RUN_COMMAND_H_
#define DIRBRIDGE_CONNECTOR_SVC_COMMANDS_RUN_COMMAND_H_

#include <string>

#include "absl/status/status.h"
#include "common/version.h"

namespace dirbridge::connector {

// `connector_svc run`: what its flags said.
struct RunOptions {
  std::string config_path;
  std::string log_level;  // empty: the config's
  // The tunnel protocol revision offered in Hello (upgrade tests offer
  // another).
  unsigned protocol_revision = kProtocolRevision;
};

// Dials out to the cloud and serves calls until SIGTERM or SIGINT, then
// drains. Errors only for what stops it starting: a bad config, no
// identity, unreadable TLS files. An unreachable LDAP server is not one:
// it is logged and reported to the cloud.
absl::Status RunConnector(const RunOptions& options);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_COMMANDS_RUN_COMMAND_H_
