#ifndef DIRBRIDGE_TESTS_HARNESS_STACK_H_
#define DIRBRIDGE_TESTS_HARNESS_STACK_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dirbridge/v1/admin.grpc.pb.h"
#include "dirbridge/v1/directory.grpc.pb.h"
#include "dirbridge/v1/tunnel.grpc.pb.h"
#include "tests/harness/process.h"
#include "tests/harness/slapd.h"

namespace dirbridge::testing {

struct Tenant {
  std::string tenant_id;
  std::string token;
};

// A ClientContext carrying a bearer token and a deadline.
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token,
                                         absl::Duration timeout = absl::Seconds(10));

// A real cloud_svc process on loopback ports it picked itself (port 0).
class CloudSvc {
 public:
  struct Options {
    // Short enough for tests of presence, long enough that a loaded CI
    // machine does not miss three in a row.
    absl::Duration heartbeat = absl::Milliseconds(500);
    std::vector<std::string> extra_flags;
    // Without --insecure: the backend listener on a certificate made for
    // the test, the tunnel on cloud_svc's own CA (mutual TLS).
    bool tls = false;
    // Another replica of the same cloud: its tunnel CA (what replicas
    // must share) and its backend certificate are copied in before start.
    const CloudSvc* replica_of = nullptr;
  };
  ~CloudSvc() { process_.Stop(); }

  absl::Status Start(Options options);
  absl::Status Start() { return Start(Options{}); }
  // Starts again on the same data dir and the same ports.
  absl::Status Restart();
  void Signal(int sig) { process_.Signal(sig); }
  void Kill() { process_.Kill(); }
  Process& process() { return process_; }

  int backend_port() const { return backend_port_; }
  int tunnel_port() const { return tunnel_port_; }
  // With --peer_addr: the peer hop's port; 0 otherwise.
  int peer_port() const { return peer_port_; }
  const std::string& backend_ca_pem() const { return backend_ca_pem_; }
  std::string tunnel_address() const;
  const std::string& data_dir() const { return data_dir_; }
  const std::string& operator_token() const { return operator_token_; }
  bool tls() const { return options_.tls; }
  // The tunnel CA cloud_svc made in its data dir (TLS only).
  std::string tunnel_ca_pem() const;
  // A stub on the tunnel listener presenting `cert_pem`/`key_pem` (may be
  // empty) and trusting the tunnel CA.
  std::unique_ptr<v1::ConnectorTunnel::Stub> TunnelStub(const std::string& cert_pem,
                                                        const std::string& key_pem) const;

  v1::Admin::Stub& admin() { return *admin_; }
  v1::Directory::Stub& directory() { return *directory_; }
  v1::ConnectorTunnel::Stub& tunnel() { return *tunnel_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }

  absl::StatusOr<Tenant> CreateTenant(const std::string& name);
  absl::StatusOr<v1::Connector> GetConnector(const std::string& token,
                                             const std::string& connector_id);
  // Waits for the connector to show `status` in ListConnectors.
  bool WaitForStatus(const std::string& token, const std::string& connector_id,
                     v1::ConnectorStatus status, absl::Duration timeout);
  absl::StatusOr<std::vector<v1::Alert>> Alerts(const std::string& token, bool active_only);

 private:
  absl::Status Launch(const std::string& backend_addr, const std::string& tunnel_addr);

  Options options_;
  std::string dir_;
  std::string backend_ca_pem_;
  std::string data_dir_;
  std::string operator_token_;
  int backend_port_ = 0;
  int tunnel_port_ = 0;
  int peer_port_ = 0;
  Process process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Admin::Stub> admin_;
  std::unique_ptr<v1::Directory::Stub> directory_;
  std::shared_ptr<grpc::Channel> tunnel_channel_;
  std::unique_ptr<v1::ConnectorTunnel::Stub> tunnel_;
};

// The directory a connector serves: a Slapd, or a Samba AD DC.
struct LdapTarget {
  std::string uri;
  std::string tls = "none";
  std::string ca_file;
  std::string bind_dn;
  std::string bind_password;
  std::string base_dn;
  std::string profile = "openldap";
};
LdapTarget TargetOf(const Slapd& slapd);

// A real connector_svc process registered with a CloudSvc, serving a Slapd
// or another directory.
class ConnectorSvc {
 public:
  ConnectorSvc(CloudSvc* cloud, const Slapd* slapd) : ConnectorSvc(cloud, TargetOf(*slapd)) {}
  ConnectorSvc(CloudSvc* cloud, LdapTarget target) : cloud_(cloud), target_(std::move(target)) {}
  ~ConnectorSvc() { process_.Stop(); }

  // CreateConnector + GetRegistrationKey + `connector_svc register`, then
  // writes a config for `run`.
  absl::Status Register(const std::string& tenant_token, const std::string& name);
  absl::Status Run(const std::vector<std::string>& extra_flags = {},
                   const std::vector<std::string>& env = {});
  void Signal(int sig) { process_.Signal(sig); }
  void Kill() { process_.Kill(); }
  Process& process() { return process_; }

  const std::string& connector_id() const { return connector_id_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& state_dir() const { return state_dir_; }
  // Rewrites the config's ldap section (takes effect at the next Run).
  struct Ldap {
    std::vector<std::string> uris;
    std::string tls = "none";
    std::string ca_file;
    std::string base_dn;  // empty: the target's (the slapd's suffix)
    std::string profile;  // empty: the target's
    int pool_size = 8;
    int worker_threads = 16;
  };
  void SetLdap(const Ldap& ldap);
  // cloud.address as a list (replicas); empty: the registering cloud's.
  // Takes effect at the next SetLdap / Run.
  void SetCloudAddresses(std::vector<std::string> addresses) {
    cloud_addresses_ = std::move(addresses);
    SetLdap(ldap_);
  }
  void SetLdapUris(const std::vector<std::string>& uris) {
    Ldap ldap;
    ldap.uris = uris;
    SetLdap(ldap);
  }
  // The target's URI, TLS mode and CA.
  Ldap TargetLdap() const {
    Ldap ldap;
    ldap.uris = {target_.uri};
    ldap.tls = target_.tls;
    ldap.ca_file = target_.ca_file;
    return ldap;
  }

 private:
  CloudSvc* const cloud_;
  const LdapTarget target_;
  std::string dir_;
  std::string state_dir_;
  std::string config_path_;
  std::string connector_id_;
  Ldap ldap_;
  std::vector<std::string> cloud_addresses_;
  Process process_;
};

// Runs `connector` and waits until `cloud` shows it connected; the
// connector's log in the error otherwise.
absl::Status RunUntilConnected(CloudSvc& cloud, const std::string& token, ConnectorSvc& connector,
                               const std::vector<std::string>& flags = {},
                               const std::vector<std::string>& env = {});

// What most end-to-end tests start from: a generated slapd, cloud_svc, a
// tenant "acme", and a connector "dc1" registered to it (not yet running).
struct Stack {
  std::unique_ptr<Slapd> slapd;
  // With `with_replica`: a second slapd with the same generated data,
  // after the first in the connector's URIs (failover).
  std::unique_ptr<Slapd> replica;
  CloudSvc cloud;
  Tenant tenant;
  std::unique_ptr<ConnectorSvc> connector;

  absl::Status Start(SlapdOptions slapd_options = {}, CloudSvc::Options cloud_options = {},
                     bool with_replica = false);
  // cloud_svc, the tenant and a connector registered for `target`, with no
  // slapd of its own.
  absl::Status StartFor(const LdapTarget& target, CloudSvc::Options cloud_options = {});
  absl::Status RunConnector(const std::vector<std::string>& flags = {},
                            const std::vector<std::string>& env = {}) {
    return RunUntilConnected(cloud, tenant.token, *connector, flags, env);
  }
};

std::string CloudBinary();
std::string ConnectorBinary();

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_HARNESS_STACK_H_
