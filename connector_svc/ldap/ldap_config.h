#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_CONFIG_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dirbridge::connector {

// SearchUsers streams at once (ldap.max_streams): each holds a connection
// and a thread of its own while it waits for the cloud to take its chunks.
inline constexpr int kDefaultMaxStreams = 4;
inline constexpr int kMaxMaxStreams = 64;

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
  // Connections for lookups and logins' searches, never held by a stream.
  int pool_size = 8;
  // Streams' own connections, apart from pool_size.
  int max_streams = kDefaultMaxStreams;
  bool follow_referrals = false;
  std::map<std::string, std::string> attributes;  // overrides
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_LDAP_CONFIG_H_
