#include "tests/harness/stack.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/x509.h"

namespace dirbridge::testing {

std::string CloudBinary() { return DIRBRIDGE_CLOUD_SVC_BIN; }
std::string ConnectorBinary() { return DIRBRIDGE_CONNECTOR_SVC_BIN; }

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token, absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

std::string CloudSvc::tunnel_address() const {
  return absl::StrCat("127.0.0.1:", tunnel_port_);
}

absl::Status CloudSvc::Start(Options options) {
  options_ = std::move(options);
  dir_ = MakeTempDir("cloud");
  data_dir_ = dir_ + "/data";
  operator_token_ = "operator-token-for-tests-0123456789";
  WriteFile(dir_ + "/operator.token", operator_token_ + "\n", 0600);
  if (options_.replica_of != nullptr) {
    const CloudSvc& first = *options_.replica_of;
    std::filesystem::create_directories(data_dir_);
    for (const char* f : {"tunnel-ca.pem", "tunnel-ca-key.pem"}) {
      std::string pem = ReadFileOrEmpty(first.data_dir() + "/" + f);
      if (!pem.empty()) WriteFile(data_dir_ + "/" + f, pem, 0600);
    }
    backend_ca_pem_ = first.backend_ca_pem_;
    for (const char* f : {"backend.pem", "backend-key.pem"}) {
      std::string pem = ReadFileOrEmpty(first.dir_ + "/" + f);
      if (!pem.empty()) WriteFile(dir_ + "/" + f, pem, 0600);
    }
  } else if (options_.tls) {
    absl::StatusOr<x509::KeyAndCert> ca = x509::NewCa("test backend CA", absl::Hours(24));
    if (!ca.ok()) return ca.status();
    absl::StatusOr<x509::KeyAndCert> server =
        x509::NewServerCert(*ca, "127.0.0.1", {"127.0.0.1", "localhost"}, absl::Hours(24));
    if (!server.ok()) return server.status();
    backend_ca_pem_ = ca->cert_pem;
    WriteFile(dir_ + "/backend.pem", server->cert_pem);
    WriteFile(dir_ + "/backend-key.pem", server->key_pem, 0600);
  }
  return Launch("127.0.0.1:0", "127.0.0.1:0");
}

absl::Status CloudSvc::Restart() {
  process_.Kill();
  return Launch(absl::StrCat("127.0.0.1:", backend_port_),
                absl::StrCat("127.0.0.1:", tunnel_port_));
}

absl::Status CloudSvc::Launch(const std::string& backend_addr,
                              const std::string& tunnel_addr) {
  std::string ports = dir_ + "/ports";
  std::remove(ports.c_str());
  std::vector<std::string> argv = {
      CloudBinary(), "--backend_addr", backend_addr, "--tunnel_addr",
      tunnel_addr, "--data_dir", data_dir_, "--operator_token_file",
      dir_ + "/operator.token", "--ports_file", ports, "--heartbeat_interval",
      absl::FormatDuration(options_.heartbeat), "--log_level", "debug"};
  if (options_.tls) {
    argv.insert(argv.end(), {"--backend_tls_cert", dir_ + "/backend.pem", "--backend_tls_key",
                             dir_ + "/backend-key.pem"});
  } else {
    argv.push_back("--insecure");
  }
  argv.insert(argv.end(), options_.extra_flags.begin(), options_.extra_flags.end());
  absl::Status st = process_.Start(argv, dir_ + "/cloud.log");
  if (!st.ok()) return st;
  // A refused flag ends the process at once: no need to wait the 10 s out.
  bool exited = false;
  if (!WaitFor(
          [&] {
            exited = process_.Wait(absl::ZeroDuration()).ok();
            return exited || !ReadFileOrEmpty(ports).empty();
          },
          absl::Seconds(10)) ||
      exited) {
    return absl::UnavailableError(absl::StrCat("cloud_svc did not start: ", process_.Log()));
  }
  for (absl::string_view line : absl::StrSplit(ReadFileOrEmpty(ports), '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, '=');
    int port = 0;
    if (!absl::SimpleAtoi(kv.second, &port)) continue;
    if (kv.first == "backend") backend_port_ = port;
    if (kv.first == "tunnel") tunnel_port_ = port;
    if (kv.first == "peer") peer_port_ = port;
  }
  std::shared_ptr<grpc::ChannelCredentials> backend = grpc::InsecureChannelCredentials();
  if (options_.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = backend_ca_pem_;
    backend = grpc::SslCredentials(ssl);
  }
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", backend_port_), backend);
  admin_ = v1::Admin::NewStub(channel_);
  directory_ = v1::Directory::NewStub(channel_);
  tunnel_ = TunnelStub("", "");
  return absl::OkStatus();
}

std::string CloudSvc::tunnel_ca_pem() const {
  return ReadFileOrEmpty(data_dir_ + "/tunnel-ca.pem");
}

std::unique_ptr<v1::ConnectorTunnel::Stub> CloudSvc::TunnelStub(const std::string& cert_pem,
                                                               const std::string& key_pem) const {
  if (!options_.tls) {
    return v1::ConnectorTunnel::NewStub(
        grpc::CreateChannel(tunnel_address(), grpc::InsecureChannelCredentials()));
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = tunnel_ca_pem();
  ssl.pem_cert_chain = cert_pem;
  ssl.pem_private_key = key_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("tunnel.dirbridge.internal");
  return v1::ConnectorTunnel::NewStub(
      grpc::CreateCustomChannel(tunnel_address(), grpc::SslCredentials(ssl), args));
}

absl::StatusOr<Tenant> CloudSvc::CreateTenant(const std::string& name) {
  v1::CreateTenantRequest req;
  req.set_name(name);
  v1::CreateTenantResponse resp;
  grpc::Status st = admin_->CreateTenant(Ctx(operator_token_).get(), req, &resp);
  if (!st.ok()) return absl::InternalError(st.error_message());
  return Tenant{resp.tenant_id(), resp.token()};
}

absl::StatusOr<v1::Connector> CloudSvc::GetConnector(const std::string& token,
                                                     const std::string& connector_id) {
  v1::ListConnectorsResponse resp;
  grpc::Status st = admin_->ListConnectors(Ctx(token).get(), {}, &resp);
  if (!st.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
  }
  for (const v1::Connector& c : resp.connectors()) {
    if (c.connector_id() == connector_id) return c;
  }
  return absl::NotFoundError("no such connector");
}

bool CloudSvc::WaitForStatus(const std::string& token, const std::string& connector_id,
                             v1::ConnectorStatus status, absl::Duration timeout) {
  return WaitFor(
      [&] {
        absl::StatusOr<v1::Connector> c = GetConnector(token, connector_id);
        return c.ok() && c->status() == status;
      },
      timeout);
}

absl::StatusOr<std::vector<v1::Alert>> CloudSvc::Alerts(const std::string& token,
                                                        bool active_only) {
  v1::ListAlertsRequest req;
  req.set_active_only(active_only);
  v1::ListAlertsResponse resp;
  grpc::Status st = admin_->ListAlerts(Ctx(token).get(), req, &resp);
  if (!st.ok()) return absl::InternalError(st.error_message());
  return std::vector<v1::Alert>(resp.alerts().begin(), resp.alerts().end());
}

absl::Status ConnectorSvc::Register(const std::string& tenant_token,
                                    const std::string& name) {
  dir_ = MakeTempDir("connector");
  state_dir_ = dir_ + "/state";
  v1::CreateConnectorRequest creq;
  creq.set_name(name);
  v1::Connector c;
  grpc::Status st = cloud_->admin().CreateConnector(Ctx(tenant_token).get(), creq, &c);
  if (!st.ok()) return absl::InternalError(st.error_message());
  connector_id_ = c.connector_id();
  v1::GetRegistrationKeyRequest kreq;
  kreq.set_connector_id(connector_id_);
  v1::GetRegistrationKeyResponse key;
  st = cloud_->admin().GetRegistrationKey(Ctx(tenant_token).get(), kreq, &key);
  if (!st.ok()) return absl::InternalError(st.error_message());
  int code = 0;
  std::vector<std::string> argv = {ConnectorBinary(), "register", "--cloud",
                                   cloud_->tunnel_address(), "--state_dir", state_dir_};
  if (cloud_->tls()) {
    argv.insert(argv.end(), {"--ca_sha256", key.ca_sha256()});
  } else {
    argv.push_back("--insecure");
  }
  absl::StatusOr<std::string> out =
      RunCommand(argv, &code, {"DIRBRIDGE_REGISTRATION_KEY=" + key.registration_key()});
  if (!out.ok()) return out.status();
  if (code != 0) return absl::InternalError(absl::StrCat("register failed: ", *out));
  WriteFile(dir_ + "/bind-password", target_.bind_password, 0600);
  SetLdap(TargetLdap());
  return absl::OkStatus();
}

LdapTarget TargetOf(const Slapd& slapd) {
  LdapTarget t;
  t.uri = slapd.uri();
  t.bind_dn = Slapd::kServiceDn;
  t.bind_password = Slapd::kServicePassword;
  t.base_dn = slapd.options().suffix;
  return t;
}

void ConnectorSvc::SetLdap(const Ldap& ldap) {
  ldap_ = ldap;
  config_path_ = dir_ + "/connector.yaml";
  WriteFile(config_path_,
            absl::StrCat("cloud:\n  address: ",
                         cloud_addresses_.empty()
                             ? cloud_->tunnel_address()
                             : absl::StrCat("[", absl::StrJoin(cloud_addresses_, ", "), "]"),
                         "\n  insecure: ", cloud_->tls() ? "false" : "true", "\n"
                         "state_dir: ", state_dir_, "\n"
                         "tunnel:\n  reconnect_max_backoff: 1s\n  drain_timeout: 5s\n"
                         "  renew_check_interval: 300ms\n"
                         "  worker_threads: ", ldap.worker_threads, "\n"
                         "ldap:\n  uris: [", absl::StrJoin(ldap.uris, ", "), "]\n"
                         "  tls: ", ldap.tls, "\n",
                         ldap.ca_file.empty() ? "" : absl::StrCat("  ca_file: ", ldap.ca_file, "\n"),
                         "  bind_dn: ", target_.bind_dn, "\n"
                         "  bind_password_file: ", dir_, "/bind-password\n"
                         "  base_dn: ", ldap.base_dn.empty() ? target_.base_dn : ldap.base_dn, "\n"
                         "  profile: ", ldap.profile.empty() ? target_.profile : ldap.profile, "\n"
                         "  timeout: 5s\n"
                         "  pool_size: ", ldap.pool_size, "\n"
                         "  connect_timeout: 1s\n"));
}

absl::Status ConnectorSvc::Run(const std::vector<std::string>& extra_flags,
                               const std::vector<std::string>& env) {
  std::vector<std::string> argv = {ConnectorBinary(), "run", "--config", config_path_,
                                   "--log_level", "debug"};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  return process_.Start(argv, dir_ + "/connector.log", env);
}

absl::Status RunUntilConnected(CloudSvc& cloud, const std::string& token, ConnectorSvc& connector,
                               const std::vector<std::string>& flags,
                               const std::vector<std::string>& env) {
  absl::Status st = connector.Run(flags, env);
  if (!st.ok()) return st;
  if (!cloud.WaitForStatus(token, connector.connector_id(), v1::CONNECTOR_STATUS_CONNECTED,
                           absl::Seconds(10))) {
    return absl::DeadlineExceededError(
        absl::StrCat("connector did not connect; its log:\n", connector.process().Log()));
  }
  return absl::OkStatus();
}

absl::Status Stack::Start(SlapdOptions slapd_options, CloudSvc::Options cloud_options,
                          bool with_replica) {
  slapd = std::make_unique<Slapd>(slapd_options);
  absl::Status st = slapd->Start();
  if (!st.ok()) return st;
  if (with_replica) {
    replica = std::make_unique<Slapd>(slapd_options);
    st = replica->Start();
    if (!st.ok()) return st;
  }
  st = cloud.Start(std::move(cloud_options));
  if (!st.ok()) return st;
  absl::StatusOr<Tenant> t = cloud.CreateTenant("acme");
  if (!t.ok()) return t.status();
  tenant = *t;
  connector = std::make_unique<ConnectorSvc>(&cloud, slapd.get());
  st = connector->Register(tenant.token, "dc1");
  if (!st.ok()) return st;
  if (replica) connector->SetLdapUris({slapd->uri(), replica->uri()});
  return absl::OkStatus();
}

absl::Status Stack::StartFor(const LdapTarget& target, CloudSvc::Options cloud_options) {
  absl::Status st = cloud.Start(std::move(cloud_options));
  if (!st.ok()) return st;
  absl::StatusOr<Tenant> t = cloud.CreateTenant("acme");
  if (!t.ok()) return t.status();
  tenant = *t;
  connector = std::make_unique<ConnectorSvc>(&cloud, target);
  return connector->Register(tenant.token, "dc1");
}

}  // namespace dirbridge::testing
