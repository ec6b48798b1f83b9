#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_CONFIG_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dirbridge::connector {

enum class LdapTls { kLdaps, kStartTls, kNone };
enum class LdapProfile { kActiveDirectory, kOpenLdap };

// The `ldap:` section of the connector's config, validated and resolved
// (the bind password is read from its file).
struct LdapConfig {
  std::vector<std::string> uris;  // tried in order
  LdapTls tls = LdapTls::kLdaps;
  std::string ca_file;
  std::string bind_dn;
  std::string bind_password;  // never logged
  std::string base_dn;
  LdapProfile profile = LdapProfile::kActiveDirectory;
  absl::Duration timeout = absl::Seconds(10);
  absl::Duration connect_timeout = absl::Seconds(5);
  int page_size = 1000;
  int pool_size = 8;
  bool follow_referrals = false;
  std::map<std::string, std::string> attributes;  // overrides
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_CONFIG_H_
