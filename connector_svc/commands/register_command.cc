#include "connector_svc/commands/register_command.h"

#include <grpcpp/create_channel.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "common/version.h"
#include "common/x509.h"
#include "connector_svc/cloud_channel.h"
#include "connector_svc/commands/command_support.h"
#include "connector_svc/identity.h"
#include "connector_svc/keys/file_key_store.h"
#include "connector_svc/pinned_ca.h"
#include "connector_svc/secret_file.h"
#include "dirbridge/v1/tunnel.grpc.pb.h"

namespace dirbridge::connector {
namespace {

// --key, else --key_file, else $DIRBRIDGE_REGISTRATION_KEY; empty if none.
absl::StatusOr<std::string> RegistrationKey(const RegisterOptions& options) {
  std::string key = options.key;
  if (key.empty() && !options.key_file.empty()) {
    ASSIGN_OR_RETURN(key, ReadSmallFile(options.key_file));
  }
  if (key.empty()) {
    if (const char* env = std::getenv("DIRBRIDGE_REGISTRATION_KEY")) key = env;
  }
  return key;
}

absl::Status CheckRegisterOptions(const RegisterOptions& options, const std::string& key) {
  std::vector<std::string> problems;
  if (options.cloud.empty()) problems.push_back("--cloud HOST:PORT is required");
  if (options.state_dir.empty()) problems.push_back("--state_dir DIR is required");
  if (key.empty()) problems.push_back("--key, --key_file or $DIRBRIDGE_REGISTRATION_KEY is required");
  if (!options.insecure && options.ca_sha256.empty() && options.cloud_ca.empty()) {
    problems.push_back(
        "one of --ca_sha256 HASH (shown with the registration key), --cloud_ca FILE or "
        "--insecure (local stacks) is required");
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
  return absl::OkStatus();
}

// Trust comes first: the key goes only to a cloud that proved it holds the
// pinned CA. Writes the CA and a fresh client key; sets the request's CSR.
absl::Status PrepareTls(const RegisterOptions& options, v1::RegisterRequest& req) {
  std::string ca_pem;
  if (!options.cloud_ca.empty()) {
    ASSIGN_OR_RETURN(ca_pem, ReadSmallFile(options.cloud_ca));
  } else {
    ASSIGN_OR_RETURN(ca_pem, FetchPinnedCa(options.cloud, options.ca_sha256, absl::Seconds(10)));
  }
  RETURN_IF_ERROR(WriteSecretFile(CloudCaPath(options.state_dir), ca_pem));
  // The connector's own key, made here and never sent anywhere.
  ASSIGN_OR_RETURN(x509::KeyAndCert key_and_csr, x509::NewKeyAndCsr("dirbridge-connector"));
  RETURN_IF_ERROR(WriteSecretFile(ClientKeyPath(options.state_dir), key_and_csr.key_pem));
  std::remove(ClientCertPath(options.state_dir).c_str());
  req.set_csr_pem(key_and_csr.cert_pem);
  return absl::OkStatus();
}

}  // namespace

absl::Status RegisterConnector(const RegisterOptions& options) {
  ASSIGN_OR_RETURN(std::string key, RegistrationKey(options));
  RETURN_IF_ERROR(CheckRegisterOptions(options, key));
  const std::string& state_dir = options.state_dir;
  RETURN_IF_ERROR(EnsureStateDir(state_dir));
  v1::RegisterRequest req;
  req.set_registration_key(key);
  req.set_hostname(Hostname());
  req.set_version(kVersion);
  CloudTls tls{options.insecure, state_dir, ""};
  if (!options.insecure) RETURN_IF_ERROR(PrepareTls(options, req));
  ASSIGN_OR_RETURN(ChannelSetup setup, MakeChannelSetup(tls));
  auto stub = v1::ConnectorTunnel::NewStub(
      grpc::CreateCustomChannel(options.cloud, setup.credentials, setup.args));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  v1::RegisterResponse resp;
  if (absl::Status st = FromGrpcStatus(stub->Register(&ctx, req, &resp)); !st.ok()) {
    return absl::Status(st.code(),
                        absl::StrCat("register with ", options.cloud, ": ", st.message()));
  }
  if (!options.insecure) {
    if (resp.certificate_pem().empty()) {
      return absl::FailedPreconditionError("the cloud sent no client certificate");
    }
    RETURN_IF_ERROR(WriteSecretFile(ClientCertPath(state_dir), resp.certificate_pem()));
  }
  Identity id{resp.connector_id(), resp.tenant_id(), options.cloud, resp.credential()};
  RETURN_IF_ERROR(SaveIdentity(state_dir, id));
  std::cout << "registered connector " << id.connector_id << " (tenant " << id.tenant_id
            << "); identity written to " << state_dir << "/identity\n";
  ASSIGN_OR_RETURN(auto keys, FileKeyStore::Open(state_dir));
  if (keys->NeedsBackup()) std::cerr << kBackupWarning;
  return absl::OkStatus();
}

}  // namespace dirbridge::connector
