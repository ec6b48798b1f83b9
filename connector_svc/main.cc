// connector_svc: runs next to the customer's directory, dials out to
// cloud_svc and answers what comes down the tunnel. This file only wires:
// flags in, one subcommand out (connector_svc/commands/).

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/termination.h"
#include "common/version.h"
#include "connector_svc/commands/check_command.h"
#include "connector_svc/commands/keys_command.h"
#include "connector_svc/commands/register_command.h"
#include "connector_svc/commands/run_command.h"
#include "connector_svc/commands/usage.h"

// Defined here, under connector_svc/, where --help looks for them.
ABSL_FLAG(std::string, cloud, "", "register: cloud_svc tunnel address, HOST:PORT.");
ABSL_FLAG(std::string, key, "",
          "register: the one-time registration key from Admin.GetRegistrationKey. "
          "Prefer --key_file or $DIRBRIDGE_REGISTRATION_KEY: argv is visible to "
          "every user of the machine.");
ABSL_FLAG(std::string, key_file, "", "register: file holding the registration key.");
ABSL_FLAG(std::string, state_dir, "", "register: the connector's state directory.");
ABSL_FLAG(std::string, ca_sha256, "",
          "register: SHA-256 of the cloud's tunnel CA, as GetRegistrationKey "
          "returned it.");
ABSL_FLAG(std::string, cloud_ca, "", "register: PEM file of the CA to trust for the cloud.");
ABSL_FLAG(bool, insecure, false, "register: plaintext gRPC (local stacks only).");
ABSL_FLAG(std::string, config, "", "run, check: the connector's YAML config file.");
ABSL_FLAG(int, protocol_revision, static_cast<int>(dirbridge::kProtocolRevision),
          "run: the tunnel protocol revision to offer (for upgrade testing).");
ABSL_FLAG(std::string, out, "", "keys export: the file to write.");
ABSL_FLAG(std::string, in, "", "keys import: the file to read.");
ABSL_FLAG(std::string, passphrase_file, "",
          "keys export/import: file holding the passphrase (else "
          "$DIRBRIDGE_KEK_PASSPHRASE; never argv).");
ABSL_FLAG(std::string, log_level, "",
          "trace, debug, info, warn, error (overrides the config's log_level).");

namespace dirbridge::connector {
namespace {

RegisterOptions RegisterFlags() {
  RegisterOptions o;
  o.cloud = absl::GetFlag(FLAGS_cloud);
  o.key = absl::GetFlag(FLAGS_key);
  o.key_file = absl::GetFlag(FLAGS_key_file);
  o.state_dir = absl::GetFlag(FLAGS_state_dir);
  o.ca_sha256 = absl::GetFlag(FLAGS_ca_sha256);
  o.cloud_ca = absl::GetFlag(FLAGS_cloud_ca);
  o.insecure = absl::GetFlag(FLAGS_insecure);
  return o;
}

RunOptions RunFlags() {
  RunOptions o;
  o.config_path = absl::GetFlag(FLAGS_config);
  o.log_level = absl::GetFlag(FLAGS_log_level);
  o.protocol_revision = static_cast<unsigned>(absl::GetFlag(FLAGS_protocol_revision));
  return o;
}

KeysOptions KeysFlags(std::string action) {
  KeysOptions o;
  o.action = std::move(action);
  o.config_path = absl::GetFlag(FLAGS_config);
  o.state_dir = absl::GetFlag(FLAGS_state_dir);
  o.out = absl::GetFlag(FLAGS_out);
  o.in = absl::GetFlag(FLAGS_in);
  o.passphrase_file = absl::GetFlag(FLAGS_passphrase_file);
  return o;
}

CheckOptions CheckFlags() {
  CheckOptions o;
  o.config_path = absl::GetFlag(FLAGS_config);
  return o;
}

}  // namespace
}  // namespace dirbridge::connector

int main(int argc, char** argv) {
  namespace connector = dirbridge::connector;
  connector::SetConnectorUsageConfig();
  absl::SetProgramUsageMessage(connector::kConnectorUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  // Debian's Abseil keeps mutex deadlock detection on, which books every
  // lock in a global graph: a cost on every call for a check our tests
  // (and TSan-free production) do not need.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  dirbridge::BlockTerminationSignals();
  if (args.size() < 2) {
    std::cerr << connector::ConnectorUsageWithFlags();
    return 2;
  }
  std::string command = args[1];
  absl::Status st;
  if (command == "register") {
    dirbridge::InitLogging("connector_svc", "warn");
    st = connector::RegisterConnector(connector::RegisterFlags());
  } else if (command == "run") {
    st = connector::RunConnector(connector::RunFlags());
  } else if (command == "check") {
    dirbridge::InitLogging("connector_svc", "error");
    st = connector::CheckConnector(connector::CheckFlags());
  } else if (command == "keys") {
    dirbridge::InitLogging("connector_svc", "warn");
    st = connector::ManageKeys(connector::KeysFlags(args.size() < 3 ? "" : args[2]));
  } else {
    std::cerr << "connector_svc: unknown command \"" << command << "\"\n\n"
              << connector::ConnectorUsageWithFlags();
    return 2;
  }
  if (!st.ok()) {
    std::cerr << "connector_svc " << command << ": " << st.message() << "\n";
    return 1;
  }
  return 0;
}
