#ifndef DIRBRIDGE_CLOUD_SVC_IDENTITY_TUNNEL_CA_H_
#define DIRBRIDGE_CLOUD_SVC_IDENTITY_TUNNEL_CA_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/x509.h"

namespace dirbridge::cloud {

// The name every tunnel server certificate carries, which connectors that
// pinned the tunnel CA verify instead of whatever address they dialled (a
// load balancer, a NAT, an IP).
inline constexpr char kTunnelServerName[] = "tunnel.dirbridge.internal";

// The cloud's identity to connectors and the issuer of theirs: a CA made on
// first start in --data_dir (its key 0600), and a server certificate for the
// tunnel listener signed by it at every start. Connectors pin the CA by its
// SHA-256 at registration. Thread-safe after construction.
class TunnelCa {
 public:
  static absl::StatusOr<std::unique_ptr<TunnelCa>> LoadOrCreate(
      const std::string& data_dir, const std::vector<std::string>& server_names);

  const std::string& ca_pem() const { return ca_.cert_pem; }
  // SHA-256 of the CA certificate's DER, hex: what GetRegistrationKey shows.
  const std::string& ca_sha256() const { return ca_sha256_; }
  // The tunnel listener: our chain (server, CA), and client certificates
  // requested (Register has none yet) and, when sent, verified against the CA.
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() const;

  // The peer hop between replicas (--peer_addr): this replica's client
  // certificate (a fresh key, named by ReplicaUri), the server side with
  // our tunnel certificate and a CA-signed client certificate required, and
  // the channel credentials that trust the CA.
  absl::StatusOr<x509::KeyAndCert> IssueReplica(const std::string& replica_id,
                                                absl::Duration validity) const;
  std::shared_ptr<grpc::ServerCredentials> PeerServerCredentials() const;
  std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(
      const x509::KeyAndCert& replica) const;

  absl::StatusOr<std::string> SignConnector(const std::string& csr_pem,
                                            const std::string& tenant_id,
                                            const std::string& connector_id,
                                            absl::Duration validity) const;

 private:
  TunnelCa(x509::KeyAndCert ca, x509::KeyAndCert server, std::string sha)
      : ca_(std::move(ca)), server_(std::move(server)), ca_sha256_(std::move(sha)) {}
  x509::KeyAndCert ca_;
  x509::KeyAndCert server_;
  std::string ca_sha256_;
};

// The URI SAN of a connector's certificate.
std::string ConnectorUri(const std::string& tenant_id, const std::string& connector_id);
// The URI SAN of a replica's peer certificate: what the peer hop accepts,
// and what no connector certificate carries.
std::string ReplicaUri(const std::string& replica_id);
inline constexpr char kReplicaUriPrefix[] = "dirbridge://replica/";

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_IDENTITY_TUNNEL_CA_H_
