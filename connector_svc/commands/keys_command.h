#ifndef DIRBRIDGE_CONNECTOR_SVC_COMMANDS_KEYS_COMMAND_H_
#define DIRBRIDGE_CONNECTOR_SVC_COMMANDS_KEYS_COMMAND_H_

#include <string>

#include "absl/status/status.h"

namespace dirbridge::connector {

// `connector_svc keys ACTION`: what its flags said.
struct KeysOptions {
  std::string action;       // export, import or rotate
  // The state dir holding the KEK: the config's, else state_dir.
  std::string config_path;
  std::string state_dir;
  std::string out;          // export: the file to write
  std::string in;           // import: the file to read
  // export, import: the passphrase's file; else $DIRBRIDGE_KEK_PASSPHRASE.
  std::string passphrase_file;
};

// The KEK's life cycle: export every version under a passphrase (a backup,
// or to serve the same ekeys from a second connector), import such an
// export, or rotate to a new version for new ekeys.
absl::Status ManageKeys(const KeysOptions& options);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_COMMANDS_KEYS_COMMAND_H_
