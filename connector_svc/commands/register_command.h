#ifndef DIRBRIDGE_CONNECTOR_SVC_COMMANDS_REGISTER_COMMAND_H_
#define DIRBRIDGE_CONNECTOR_SVC_COMMANDS_REGISTER_COMMAND_H_

#include <string>

#include "absl/status/status.h"

namespace dirbridge::connector {

// `connector_svc register`: what its flags said.
struct RegisterOptions {
  std::string cloud;      // the cloud's tunnel address, HOST:PORT
  std::string key;        // the registration key; else key_file, else
  std::string key_file;   // $DIRBRIDGE_REGISTRATION_KEY
  std::string state_dir;
  // How to trust the cloud: exactly one is needed.
  std::string ca_sha256;  // pin of the CA, fetched and checked
  std::string cloud_ca;   // PEM file of the CA
  bool insecure = false;  // plaintext (local stacks only)
};

// One time: trades the registration key for this connector's identity,
// client certificate and cloud CA, all written into the state dir.
// INVALID_ARGUMENT lists every missing option at once.
absl::Status RegisterConnector(const RegisterOptions& options);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_COMMANDS_REGISTER_COMMAND_H_
