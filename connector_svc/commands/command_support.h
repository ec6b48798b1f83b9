#ifndef DIRBRIDGE_CONNECTOR_SVC_COMMANDS_COMMAND_SUPPORT_H_
#define DIRBRIDGE_CONNECTOR_SVC_COMMANDS_COMMAND_SUPPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "connector_svc/config.h"

namespace dirbridge::connector {

// Printed whenever a command finds the KEK without a backup.
inline constexpr char kBackupWarning[] =
    "WARNING: this connector's key-encryption key has no backup. Every ekey it\n"
    "wraps is lost with this machine. Make one now:\n"
    "  DIRBRIDGE_KEK_PASSPHRASE=... connector_svc keys export --out FILE --state_dir DIR\n"
    "and keep FILE and the passphrase apart, off this machine.\n";

// This machine's name, as the connector reports it to the cloud.
std::string Hostname();

// A small file (a key, a passphrase, a PEM) without surrounding whitespace.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

// The config file named by --config; INVALID_ARGUMENT when none was named.
absl::StatusOr<ConnectorConfig> LoadConfigFlag(const std::string& config_path);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_COMMANDS_COMMAND_SUPPORT_H_
