#include "cloud_svc/identity/tunnel_ca.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

absl::StatusOr<std::string> Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status Write(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return absl::FailedPreconditionError(absl::StrCat("cannot write \"", tmp, "\""));
  fchmod(fd, mode);
  bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  ok = fsync(fd) == 0 && ok;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot write \"", path, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ConnectorUri(const std::string& tenant_id, const std::string& connector_id) {
  return absl::StrCat("dirbridge://tenant/", tenant_id, "/connector/", connector_id);
}

std::string ReplicaUri(const std::string& replica_id) {
  return absl::StrCat(kReplicaUriPrefix, replica_id);
}

absl::StatusOr<std::unique_ptr<TunnelCa>> TunnelCa::LoadOrCreate(
    const std::string& data_dir, const std::vector<std::string>& server_names) {
  std::string key_path = data_dir + "/tunnel-ca-key.pem";
  std::string cert_path = data_dir + "/tunnel-ca.pem";
  x509::KeyAndCert ca;
  absl::StatusOr<std::string> key = Read(key_path);
  absl::StatusOr<std::string> cert = Read(cert_path);
  if (key.ok() && cert.ok()) {
    ca = {*key, *cert};
  } else {
    // Ten years: connectors pin it; replacing it means registering again.
    ASSIGN_OR_RETURN(ca, x509::NewCa("dirbridge tunnel CA", absl::Hours(24 * 3650)));
    RETURN_IF_ERROR(Write(key_path, ca.key_pem, 0600));
    RETURN_IF_ERROR(Write(cert_path, ca.cert_pem, 0644));
    spdlog::info("event=tunnel_ca_created path=\"{}\"", cert_path);
  }
  ASSIGN_OR_RETURN(x509::CertInfo info, x509::Inspect(ca.cert_pem));
  std::vector<std::string> names = {kTunnelServerName};
  names.insert(names.end(), server_names.begin(), server_names.end());
  ASSIGN_OR_RETURN(x509::KeyAndCert server,
                   x509::NewServerCert(ca, kTunnelServerName, names, absl::Hours(24 * 365)));
  return std::unique_ptr<TunnelCa>(new TunnelCa(std::move(ca), std::move(server), info.sha256_hex));
}

std::shared_ptr<grpc::ServerCredentials> TunnelCa::ServerCredentials() const {
  grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = ca_.cert_pem;
  // The chain carries the CA so that a connector can pin it by hash.
  options.pem_key_cert_pairs.push_back({server_.key_pem, server_.cert_pem + ca_.cert_pem});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<x509::KeyAndCert> TunnelCa::IssueReplica(const std::string& replica_id,
                                                         absl::Duration validity) const {
  ASSIGN_OR_RETURN(x509::KeyAndCert csr, x509::NewKeyAndCsr(replica_id));
  ASSIGN_OR_RETURN(std::string cert, x509::SignClientCert(ca_, csr.cert_pem, replica_id,
                                                          ReplicaUri(replica_id), validity));
  return x509::KeyAndCert{std::move(csr.key_pem), std::move(cert)};
}

std::shared_ptr<grpc::ServerCredentials> TunnelCa::PeerServerCredentials() const {
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = ca_.cert_pem;
  options.pem_key_cert_pairs.push_back({server_.key_pem, server_.cert_pem + ca_.cert_pem});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> TunnelCa::PeerChannelCredentials(
    const x509::KeyAndCert& replica) const {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_.cert_pem;
  options.pem_private_key = replica.key_pem;
  options.pem_cert_chain = replica.cert_pem;
  return grpc::SslCredentials(options);
}

absl::StatusOr<std::string> TunnelCa::SignConnector(const std::string& csr_pem,
                                                    const std::string& tenant_id,
                                                    const std::string& connector_id,
                                                    absl::Duration validity) const {
  return x509::SignClientCert(ca_, csr_pem, connector_id, ConnectorUri(tenant_id, connector_id),
                              validity);
}

}  // namespace dirbridge::cloud
