#include "connector_svc/cloud_channel.h"

#include <grpcpp/create_channel.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/x509.h"
#include "connector_svc/secret_file.h"
#include "dirbridge/v1/tunnel.grpc.pb.h"

namespace dirbridge::connector {
namespace {

constexpr char kTunnelServerName[] = "tunnel.dirbridge.internal";

absl::StatusOr<std::string> ReadPublic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("\"", path, "\" does not exist"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string ClientKeyPath(const std::string& d) { return d + "/client-key.pem"; }
std::string ClientCertPath(const std::string& d) { return d + "/client-cert.pem"; }
std::string CloudCaPath(const std::string& d) { return d + "/cloud-ca.pem"; }

absl::StatusOr<ChannelSetup> MakeChannelSetup(const CloudTls& tls) {
  ChannelSetup setup;
  if (tls.insecure) {
    setup.credentials = grpc::InsecureChannelCredentials();
    return setup;
  }
  grpc::SslCredentialsOptions options;
  if (!tls.ca_file.empty()) {
    ASSIGN_OR_RETURN(options.pem_root_certs, ReadPublic(tls.ca_file));
  } else {
    absl::StatusOr<std::string> pinned = ReadPublic(CloudCaPath(tls.state_dir));
    if (!pinned.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no pinned cloud CA in \"", tls.state_dir,
          "\": register with --ca_sha256, or set cloud.ca_file"));
    }
    options.pem_root_certs = *pinned;
    setup.args.SetSslTargetNameOverride(kTunnelServerName);
  }
  absl::StatusOr<std::string> key = ReadSecretFile(ClientKeyPath(tls.state_dir));
  absl::StatusOr<std::string> cert = ReadPublic(ClientCertPath(tls.state_dir));
  if (key.ok() && cert.ok()) {
    options.pem_cert_chain = std::move(*cert);
    options.pem_private_key = std::move(*key);
  } else if (!key.ok() && !absl::IsNotFound(key.status())) {
    return key.status();  // there, but readable by others: refuse
  }
  // No certificate yet: registering.
  setup.credentials = grpc::SslCredentials(options);
  return setup;
}

absl::Status RenewCertificateIfDue(const std::string& address, const CloudTls& tls) {
  if (tls.insecure) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string cert, ReadPublic(ClientCertPath(tls.state_dir)));
  ASSIGN_OR_RETURN(x509::CertInfo info, x509::Inspect(cert));
  absl::Time due = info.not_before + (info.not_after - info.not_before) * 2 / 3;
  if (absl::Now() < due) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string key, ReadSecretFile(ClientKeyPath(tls.state_dir)));
  ASSIGN_OR_RETURN(std::string csr, x509::CsrForKey(key, "dirbridge-connector"));
  ASSIGN_OR_RETURN(ChannelSetup setup, MakeChannelSetup(tls));
  auto stub = v1::ConnectorTunnel::NewStub(
      grpc::CreateCustomChannel(address, setup.credentials, setup.args));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  v1::RenewCertificateRequest req;
  req.set_csr_pem(csr);
  v1::RenewCertificateResponse resp;
  grpc::Status st = stub->RenewCertificate(&ctx, req, &resp);
  if (!st.ok()) {
    return absl::UnavailableError(absl::StrCat("certificate renewal: ", st.error_message()));
  }
  ASSIGN_OR_RETURN(x509::CertInfo fresh, x509::Inspect(resp.certificate_pem()));
  RETURN_IF_ERROR(WriteSecretFile(ClientCertPath(tls.state_dir), resp.certificate_pem()));
  spdlog::info("event=certificate_renewed not_after={}", absl::FormatTime(fresh.not_after));
  return absl::OkStatus();
}

}  // namespace dirbridge::connector
