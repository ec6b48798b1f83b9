#include "connector_svc/commands/check_command.h"

#include <algorithm>
#include <iostream>

#include "common/status_macros.h"
#include "connector_svc/commands/command_support.h"
#include "connector_svc/identity.h"
#include "connector_svc/ldap/ldap_directory.h"

namespace dirbridge::connector {
namespace {

absl::Status CheckUsers(Directory& directory, const ConnectorConfig& config) {
  // Counting a large directory takes a while: a minute at least.
  OpContext ctx{absl::Now() + std::max(config.ldap.timeout, absl::Seconds(60)), nullptr};
  absl::StatusOr<int64_t> users = directory.CountUsers(ctx);
  const std::string& base = config.ldap.base_dn;
  if (!users.ok()) {
    std::cout << "users under " << base << ": FAIL: " << users.status().message() << "\n";
    return absl::UnavailableError("check failed");
  }
  if (*users == 0) {
    std::cout << "users under " << base
              << ": WARNING: none visible; the bind account may not be allowed to read "
                 "that subtree, or the profile's user filter does not match\n";
  } else {
    std::cout << "users under " << base << ": ok (" << *users << ")\n";
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckConnector(const CheckOptions& options) {
  ASSIGN_OR_RETURN(ConnectorConfig config, LoadConfigFlag(options.config_path));
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
  RETURN_IF_ERROR(CheckUsers(*directory, config));
  absl::StatusOr<Identity> id = LoadIdentity(config.state_dir);
  if (!id.ok()) {
    std::cout << "identity: FAIL: " << id.status().message() << "\n";
    return absl::FailedPreconditionError("check failed");
  }
  std::cout << "identity: ok (connector " << id->connector_id << ")\n";
  return absl::OkStatus();
}

}  // namespace dirbridge::connector
