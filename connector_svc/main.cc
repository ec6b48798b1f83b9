// connector_svc: runs next to the customer's directory, dials out to
// cloud_svc and answers what comes down the tunnel.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "common/termination.h"
#include "common/version.h"
#include "absl/synchronization/notification.h"
#include "common/x509.h"
#include "connector_svc/cloud_channel.h"
#include "connector_svc/config.h"
#include "connector_svc/pinned_ca.h"
#include "connector_svc/dispatcher.h"
#include "connector_svc/identity.h"
#include "connector_svc/keys/file_key_store.h"
#include "connector_svc/secret_file.h"
#include "connector_svc/password_key.h"
#include "connector_svc/ldap/ldap_directory.h"
#include "connector_svc/tunnel_client.h"
#include "dirbridge/v1/tunnel.grpc.pb.h"

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

constexpr char kUsage[] =
    "dirbridge connector.\n\n"
    "  connector_svc register --cloud HOST:PORT --key KEY --state_dir DIR\n"
    "                         [--ca_sha256 HASH | --cloud_ca FILE | --insecure]\n"
    "      One time: trade a registration key for this connector's identity.\n"
    "  connector_svc run --config FILE\n"
    "      Dial out to the cloud and serve until SIGTERM (which drains).\n"
    "  connector_svc check --config FILE\n"
    "      Self-test: connect and bind to LDAP, read the rootDSE, count the\n"
    "      users under the base DN (none is a warning). Exit 0 when all pass.\n"
    "  connector_svc keys export --out FILE   (--config FILE | --state_dir DIR)\n"
    "  connector_svc keys import --in FILE    (--config FILE | --state_dir DIR)\n"
    "      Move every KEK version under a passphrase ($DIRBRIDGE_KEK_PASSPHRASE or\n"
    "      --passphrase_file), to back it up or to serve the same ekeys from a\n"
    "      second connector of the tenant.\n"
    "  connector_svc keys rotate              (--config FILE | --state_dir DIR)\n"
    "      Add a KEK version for new ekeys; older versions still unwrap.\n";

constexpr char kBackupWarning[] =
    "WARNING: this connector's key-encryption key has no backup. Every ekey it\n"
    "wraps is lost with this machine. Make one now:\n"
    "  DIRBRIDGE_KEK_PASSPHRASE=... connector_svc keys export --out FILE --state_dir DIR\n"
    "and keep FILE and the passphrase apart, off this machine.\n";

std::string Hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read \"", path, "\""));
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

absl::Status Register() {
  std::string cloud = absl::GetFlag(FLAGS_cloud);
  std::string state_dir = absl::GetFlag(FLAGS_state_dir);
  std::string key = absl::GetFlag(FLAGS_key);
  if (key.empty() && !absl::GetFlag(FLAGS_key_file).empty()) {
    ASSIGN_OR_RETURN(key, ReadSmallFile(absl::GetFlag(FLAGS_key_file)));
  }
  if (key.empty()) {
    if (const char* env = std::getenv("DIRBRIDGE_REGISTRATION_KEY")) key = env;
  }
  std::vector<std::string> problems;
  if (cloud.empty()) problems.push_back("--cloud HOST:PORT is required");
  if (state_dir.empty()) problems.push_back("--state_dir DIR is required");
  if (key.empty()) problems.push_back("--key, --key_file or $DIRBRIDGE_REGISTRATION_KEY is required");
  bool insecure = absl::GetFlag(FLAGS_insecure);
  std::string pin = absl::GetFlag(FLAGS_ca_sha256), ca_file = absl::GetFlag(FLAGS_cloud_ca);
  if (!insecure && pin.empty() && ca_file.empty()) {
    problems.push_back(
        "one of --ca_sha256 HASH (shown with the registration key), --cloud_ca FILE or "
        "--insecure (local stacks) is required");
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
  }
  RETURN_IF_ERROR(EnsureStateDir(state_dir));
  v1::RegisterRequest req;
  req.set_registration_key(key);
  req.set_hostname(Hostname());
  req.set_version(kVersion);
  CloudTls tls{insecure, state_dir, ""};
  if (!insecure) {
    // Trust comes first: the key goes only to a cloud that proved it holds
    // the pinned CA.
    std::string ca_pem;
    if (!ca_file.empty()) {
      ASSIGN_OR_RETURN(ca_pem, ReadSmallFile(ca_file));
    } else {
      ASSIGN_OR_RETURN(ca_pem, FetchPinnedCa(cloud, pin, absl::Seconds(10)));
    }
    RETURN_IF_ERROR(WriteSecretFile(CloudCaPath(state_dir), ca_pem));
    // The connector's own key, made here and never sent anywhere.
    ASSIGN_OR_RETURN(x509::KeyAndCert key_and_csr, x509::NewKeyAndCsr("dirbridge-connector"));
    RETURN_IF_ERROR(WriteSecretFile(ClientKeyPath(state_dir), key_and_csr.key_pem));
    std::remove(ClientCertPath(state_dir).c_str());
    req.set_csr_pem(key_and_csr.cert_pem);
  }
  ASSIGN_OR_RETURN(ChannelSetup setup, MakeChannelSetup(tls));
  auto stub = v1::ConnectorTunnel::NewStub(
      grpc::CreateCustomChannel(cloud, setup.credentials, setup.args));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  v1::RegisterResponse resp;
  grpc::Status st = stub->Register(&ctx, req, &resp);
  if (!st.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                        absl::StrCat("register with ", cloud, ": ", st.error_message()));
  }
  if (!insecure) {
    if (resp.certificate_pem().empty()) {
      return absl::FailedPreconditionError("the cloud sent no client certificate");
    }
    RETURN_IF_ERROR(WriteSecretFile(ClientCertPath(state_dir), resp.certificate_pem()));
  }
  Identity id{resp.connector_id(), resp.tenant_id(), cloud, resp.credential()};
  RETURN_IF_ERROR(SaveIdentity(state_dir, id));
  std::cout << "registered connector " << id.connector_id << " (tenant "
            << id.tenant_id << "); identity written to " << state_dir
            << "/identity\n";
  ASSIGN_OR_RETURN(auto keys, FileKeyStore::Open(state_dir));
  if (keys->NeedsBackup()) std::cerr << kBackupWarning;
  return absl::OkStatus();
}

absl::StatusOr<ConnectorConfig> Config() {
  std::string path = absl::GetFlag(FLAGS_config);
  if (path.empty()) return absl::InvalidArgumentError("--config FILE is required");
  return LoadConfig(path);
}

absl::Status Run() {
  ASSIGN_OR_RETURN(ConnectorConfig config, Config());
  std::string level = absl::GetFlag(FLAGS_log_level);
  InitLogging("connector_svc", level.empty() ? config.log_level : level, config.log_format);
  std::unique_ptr<MetricsServer> metrics;
  if (!config.metrics_addr.empty()) {
    Metrics& m = Metrics::Get();
    m.Describe("dirbridge_tunnel_reconnects_total", "counter", "Tunnel streams that ended.");
    m.Describe("dirbridge_connector_calls_total", "counter", "Calls handled, by kind and status.");
    m.Describe("dirbridge_ldap_operation_seconds", "histogram", "LDAP operation latency, per server.");
    m.Describe("dirbridge_ldap_errors_total", "counter", "LDAP operations lost to a server error.");
    m.Add("dirbridge_tunnel_reconnects_total", {}, 0);
    ASSIGN_OR_RETURN(metrics, MetricsServer::Start(config.metrics_addr));
    spdlog::info("event=metrics_listening port={}", metrics->port());
  }
  RETURN_IF_ERROR(EnsureStateDir(config.state_dir));
  ASSIGN_OR_RETURN(Identity identity, LoadIdentity(config.state_dir));
  ASSIGN_OR_RETURN(auto directory, LdapDirectory::New(config.ldap));
  CloudTls tls{config.cloud_insecure, config.state_dir, config.cloud_ca_file};
  RETURN_IF_ERROR(MakeChannelSetup(tls).status());  // refuse bad files at start
  if (config.cloud_insecure) {
    spdlog::warn("event=insecure_tunnel note=\"plaintext gRPC to the cloud; local stacks only\"");
  }
  {
    // A first look at LDAP, so the log says at once whether it is reachable;
    // the connector serves either way and reports its health to the cloud.
    OpContext probe{absl::Now() + std::min(config.ldap.timeout, absl::Seconds(5)), nullptr};
    absl::StatusOr<NamingContexts> nc = directory->ListNamingContexts(probe);
    if (nc.ok()) {
      spdlog::info("event=ldap_ok naming_contexts={}", nc->naming_contexts.size());
    } else {
      spdlog::warn("event=ldap_unreachable error=\"{}\"", nc.status().message());
    }
  }
  ASSIGN_OR_RETURN(crypto::X25519KeyPair password_key, LoadOrCreatePasswordKey(config.state_dir));
  std::string password_public_key = password_key.public_key;
  ASSIGN_OR_RETURN(std::unique_ptr<FileKeyStore> keys, FileKeyStore::Open(config.state_dir));
  if (keys->NeedsBackup()) {
    std::cerr << kBackupWarning;
    spdlog::warn("event=kek_not_backed_up note=\"run `connector_svc keys export`\"");
  }
  Dispatcher dispatcher(directory.get(), config.worker_threads, identity.tenant_id,
                        std::move(password_key), keys.get());
  TunnelOptions options;
  options.address = config.cloud_address.empty() ? identity.cloud_address
                                                 : config.cloud_address;
  options.channel_setup = [tls] { return MakeChannelSetup(tls); };
  options.identity = identity;
  options.hostname = Hostname();
  options.password_public_key = password_public_key;
  options.max_backoff = config.reconnect_max_backoff;
  options.protocol_revision = static_cast<unsigned>(absl::GetFlag(FLAGS_protocol_revision));
  options.min_protocol_revision = std::min(kMinProtocolRevision, options.protocol_revision);
  TunnelClient client(options, &dispatcher, directory.get());
  spdlog::info("event=started version={} connector={} cloud={}", kVersion,
               identity.connector_id, options.address);
  std::thread signals([&client, drain = config.drain_timeout] {
    int sig = WaitForTermination();
    spdlog::info("event=stopping signal={} note=\"draining in-flight calls\"", sig);
    client.Stop(absl::Now() + drain);
  });
  // Certificates renew at two thirds of their life, checked regularly.
  absl::Notification stop_renewals;
  std::thread renewals([&] {
    while (!stop_renewals.WaitForNotificationWithTimeout(config.renew_check_interval)) {
      absl::Status st = RenewCertificateIfDue(options.address, tls);
      if (!st.ok()) spdlog::warn("event=renewal_failed error=\"{}\"", st.message());
    }
  });
  client.Run();
  stop_renewals.Notify();
  renewals.join();
  signals.join();
  spdlog::info("event=stopped");
  return absl::OkStatus();
}

absl::StatusOr<std::string> StateDirForKeys() {
  if (!absl::GetFlag(FLAGS_config).empty()) {
    ASSIGN_OR_RETURN(ConnectorConfig config, Config());
    return config.state_dir;
  }
  if (absl::GetFlag(FLAGS_state_dir).empty()) {
    return absl::InvalidArgumentError("--config FILE or --state_dir DIR is required");
  }
  return absl::GetFlag(FLAGS_state_dir);
}

absl::StatusOr<std::string> Passphrase() {
  std::string p;
  if (!absl::GetFlag(FLAGS_passphrase_file).empty()) {
    ASSIGN_OR_RETURN(p, ReadSmallFile(absl::GetFlag(FLAGS_passphrase_file)));
  } else if (const char* env = std::getenv("DIRBRIDGE_KEK_PASSPHRASE")) {
    p = env;
  }
  if (p.empty()) {
    return absl::InvalidArgumentError(
        "no passphrase: set $DIRBRIDGE_KEK_PASSPHRASE or --passphrase_file");
  }
  return p;
}

absl::Status Keys(const std::string& action) {
  ASSIGN_OR_RETURN(std::string state_dir, StateDirForKeys());
  RETURN_IF_ERROR(EnsureStateDir(state_dir));
  ASSIGN_OR_RETURN(auto keys, FileKeyStore::Open(state_dir));
  if (action == "rotate") {
    ASSIGN_OR_RETURN(uint32_t v, keys->Rotate());
    std::cout << "new KEK version " << v << " wraps new ekeys; older versions still unwrap\n";
    if (keys->NeedsBackup()) std::cerr << kBackupWarning;
    return absl::OkStatus();
  }
  if (action == "export") {
    std::string out = absl::GetFlag(FLAGS_out);
    if (out.empty()) return absl::InvalidArgumentError("--out FILE is required");
    ASSIGN_OR_RETURN(std::string passphrase, Passphrase());
    absl::StatusOr<std::string> blob = keys->Export(passphrase);
    crypto::Wipe(passphrase);
    if (!blob.ok()) return blob.status();
    RETURN_IF_ERROR(WriteSecretFile(out, *blob));
    std::cout << "every KEK version written to " << out
              << " under the passphrase; keep both safe, apart\n";
    return absl::OkStatus();
  }
  if (action == "import") {
    std::string in = absl::GetFlag(FLAGS_in);
    if (in.empty()) return absl::InvalidArgumentError("--in FILE is required");
    std::ifstream f(in, std::ios::binary);
    if (!f) return absl::FailedPreconditionError(absl::StrCat("cannot read \"", in, "\""));
    std::stringstream ss;
    ss << f.rdbuf();
    ASSIGN_OR_RETURN(std::string passphrase, Passphrase());
    absl::Status st = keys->Import(ss.str(), passphrase);
    crypto::Wipe(passphrase);
    RETURN_IF_ERROR(st);
    std::cout << "KEK versions imported; current version " << keys->current_version() << "\n";
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown keys action \"", action, "\"; use export, import or rotate"));
}

absl::Status Check() {
  ASSIGN_OR_RETURN(ConnectorConfig config, Config());
  std::cout << "config: ok\n";
  ASSIGN_OR_RETURN(auto directory, LdapDirectory::New(config.ldap));
  OpContext ctx{absl::Now() + config.ldap.timeout, nullptr};
  absl::StatusOr<NamingContexts> nc = directory->ListNamingContexts(ctx);
  if (!nc.ok()) {
    std::cout << "ldap connect + bind + rootDSE: FAIL: " << nc.status().message() << "\n";
    return absl::UnavailableError("check failed");
  }
  std::cout << "ldap connect + bind + rootDSE: ok (" << nc->naming_contexts.size()
            << " naming contexts)\n";
  for (const std::string& n : nc->naming_contexts) std::cout << "  " << n << "\n";
  OpContext count_ctx{absl::Now() + std::max(config.ldap.timeout, absl::Seconds(60)), nullptr};
  absl::StatusOr<int64_t> users = directory->CountUsers(count_ctx);
  if (!users.ok()) {
    std::cout << "users under " << config.ldap.base_dn << ": FAIL: " << users.status().message()
              << "\n";
    return absl::UnavailableError("check failed");
  } else if (*users == 0) {
    std::cout << "users under " << config.ldap.base_dn
              << ": WARNING: none visible; the bind account may not be allowed to read "
                 "that subtree, or the profile's user filter does not match\n";
  } else {
    std::cout << "users under " << config.ldap.base_dn << ": ok (" << *users << ")\n";
  }
  absl::StatusOr<Identity> id = LoadIdentity(config.state_dir);
  if (!id.ok()) {
    std::cout << "identity: FAIL: " << id.status().message() << "\n";
    return absl::FailedPreconditionError("check failed");
  }
  std::cout << "identity: ok (connector " << id->connector_id << ")\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace dirbridge::connector

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(dirbridge::connector::kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  // Debian's Abseil keeps mutex deadlock detection on, which books every
  // lock in a global graph: a cost on every call for a check our tests
  // (and TSan-free production) do not need.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  dirbridge::BlockTerminationSignals();
  if (args.size() < 2) {
    std::cerr << dirbridge::connector::kUsage << "\nRun with --help for every flag.\n";
    return 2;
  }
  std::string command = args[1];
  absl::Status st;
  if (command == "register") {
    dirbridge::InitLogging("connector_svc", "warn");
    st = dirbridge::connector::Register();
  } else if (command == "run") {
    st = dirbridge::connector::Run();
  } else if (command == "check") {
    dirbridge::InitLogging("connector_svc", "error");
    st = dirbridge::connector::Check();
  } else if (command == "keys") {
    dirbridge::InitLogging("connector_svc", "warn");
    st = args.size() < 3 ? absl::InvalidArgumentError("keys needs export, import or rotate")
                         : dirbridge::connector::Keys(args[2]);
  } else {
    std::cerr << "connector_svc: unknown command \"" << command << "\"\n\n"
              << dirbridge::connector::kUsage;
    return 2;
  }
  if (!st.ok()) {
    std::cerr << "connector_svc " << command << ": " << st.message() << "\n";
    return 1;
  }
  return 0;
}
