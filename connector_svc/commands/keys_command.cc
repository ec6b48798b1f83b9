#include "connector_svc/commands/keys_command.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status_macros.h"
#include "connector_svc/commands/command_support.h"
#include "connector_svc/identity.h"
#include "connector_svc/keys/file_key_store.h"
#include "connector_svc/secret_file.h"

namespace dirbridge::connector {
namespace {

absl::StatusOr<std::string> StateDir(const KeysOptions& options) {
  if (!options.config_path.empty()) {
    ASSIGN_OR_RETURN(ConnectorConfig config, LoadConfigFlag(options.config_path));
    return config.state_dir;
  }
  if (options.state_dir.empty()) {
    return absl::InvalidArgumentError("--config FILE or --state_dir DIR is required");
  }
  return options.state_dir;
}

// Never from argv, where every user of the machine could read it.
absl::StatusOr<std::string> Passphrase(const KeysOptions& options) {
  std::string p;
  if (!options.passphrase_file.empty()) {
    ASSIGN_OR_RETURN(p, ReadSmallFile(options.passphrase_file));
  } else if (const char* env = std::getenv("DIRBRIDGE_KEK_PASSPHRASE")) {
    p = env;
  }
  if (p.empty()) {
    return absl::InvalidArgumentError(
        "no passphrase: set $DIRBRIDGE_KEK_PASSPHRASE or --passphrase_file");
  }
  return p;
}

absl::Status Rotate(FileKeyStore& keys) {
  ASSIGN_OR_RETURN(uint32_t v, keys.Rotate());
  std::cout << "new KEK version " << v << " wraps new ekeys; older versions still unwrap\n";
  if (keys.NeedsBackup()) std::cerr << kBackupWarning;
  return absl::OkStatus();
}

absl::Status Export(FileKeyStore& keys, const KeysOptions& options) {
  if (options.out.empty()) return absl::InvalidArgumentError("--out FILE is required");
  ASSIGN_OR_RETURN(std::string passphrase, Passphrase(options));
  absl::StatusOr<std::string> blob = keys.Export(passphrase);
  crypto::Wipe(passphrase);
  if (!blob.ok()) return blob.status();
  RETURN_IF_ERROR(WriteSecretFile(options.out, *blob));
  std::cout << "every KEK version written to " << options.out
            << " under the passphrase; keep both safe, apart\n";
  return absl::OkStatus();
}

absl::Status Import(FileKeyStore& keys, const KeysOptions& options) {
  if (options.in.empty()) return absl::InvalidArgumentError("--in FILE is required");
  // Read as it is: the export is binary, unlike the small files around it.
  std::ifstream f(options.in, std::ios::binary);
  if (!f) return absl::FailedPreconditionError(absl::StrCat("cannot read \"", options.in, "\""));
  std::stringstream ss;
  ss << f.rdbuf();
  ASSIGN_OR_RETURN(std::string passphrase, Passphrase(options));
  absl::Status st = keys.Import(ss.str(), passphrase);
  crypto::Wipe(passphrase);
  RETURN_IF_ERROR(st);
  std::cout << "KEK versions imported; current version " << keys.current_version() << "\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status ManageKeys(const KeysOptions& options) {
  const std::string& action = options.action;
  if (action.empty()) return absl::InvalidArgumentError("keys needs export, import or rotate");
  // A mistyped action must not create a state dir or open the KEK.
  if (action != "export" && action != "import" && action != "rotate") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown keys action \"", action, "\"; use export, import or rotate"));
  }
  ASSIGN_OR_RETURN(std::string state_dir, StateDir(options));
  RETURN_IF_ERROR(EnsureStateDir(state_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<FileKeyStore> keys, FileKeyStore::Open(state_dir));
  if (action == "rotate") return Rotate(*keys);
  if (action == "export") return Export(*keys, options);
  return Import(*keys, options);
}

}  // namespace dirbridge::connector
