#include "connector_svc/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "connector_svc/ldap/attribute_map.h"
#include "connector_svc/ldap/ldap_dn.h"
#include "connector_svc/secret_file.h"

namespace dirbridge::connector {
namespace {

// Collects problems instead of stopping at the first one.
class Checker {
 public:
  void Problem(std::string p) { problems_.push_back(std::move(p)); }
  const std::vector<std::string>& problems() const { return problems_; }

  void KnownKeys(const YAML::Node& node, const std::string& where,
                 const std::set<std::string>& known) {
    if (!node || !node.IsMap()) return;
    std::set<std::string> seen;
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      // yaml-cpp keeps the first of two equal keys; say so instead.
      if (!seen.insert(key).second) {
        Problem(absl::StrCat("duplicate key \"", where, key, "\""));
      }
      if (!known.contains(key)) {
        Problem(absl::StrCat("unknown key \"", where, key, "\""));
      }
    }
  }

  std::string String(const YAML::Node& node, const std::string& name,
                     bool required) {
    if (!node) {
      if (required) Problem(absl::StrCat("\"", name, "\" is required"));
      return "";
    }
    if (!node.IsScalar()) {
      Problem(absl::StrCat("\"", name, "\" must be a string"));
      return "";
    }
    std::string v = node.as<std::string>();
    if (required && v.empty()) Problem(absl::StrCat("\"", name, "\" is empty"));
    return v;
  }

  bool Bool(const YAML::Node& node, const std::string& name, bool dflt) {
    if (!node) return dflt;
    bool v = dflt;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, v)) {
      Problem(absl::StrCat("\"", name, "\" must be true or false"));
    }
    return v;
  }

  int Int(const YAML::Node& node, const std::string& name, int dflt, int lo, int hi) {
    if (!node) return dflt;
    int v = dflt;
    if (!node.IsScalar() || !YAML::convert<int>::decode(node, v) || v < lo || v > hi) {
      Problem(absl::StrCat("\"", name, "\" must be a whole number from ", lo,
                           " to ", hi));
      return dflt;
    }
    return v;
  }

  absl::Duration Duration(const YAML::Node& node, const std::string& name,
                          absl::Duration dflt) {
    if (!node) return dflt;
    absl::Duration d;
    if (!node.IsScalar() || !absl::ParseDuration(node.as<std::string>(), &d) ||
        d <= absl::ZeroDuration()) {
      Problem(absl::StrCat("\"", name, "\" must be a positive duration such as 10s"));
      return dflt;
    }
    return d;
  }

 private:
  std::vector<std::string> problems_;
};

void LoadLdap(const YAML::Node& node, Checker& c, LdapConfig& ldap) {
  if (!node || !node.IsMap()) {
    c.Problem("\"ldap\" section is required");
    return;
  }
  c.KnownKeys(node, "ldap.",
              {"uris", "tls", "ca_file", "bind_dn", "bind_password_file",
               "base_dn", "profile", "timeout", "connect_timeout", "page_size",
               "pool_size", "max_streams", "follow_referrals", "attributes"});
  const YAML::Node uris = node["uris"];
  if (!uris || !uris.IsSequence() || uris.size() == 0) {
    c.Problem("\"ldap.uris\" must list at least one ldap:// or ldaps:// URI");
  } else {
    for (const auto& u : uris) {
      std::string uri = u.IsScalar() ? u.as<std::string>() : "";
      if (!absl::StartsWith(uri, "ldap://") && !absl::StartsWith(uri, "ldaps://")) {
        c.Problem(absl::StrCat("\"ldap.uris\" entry \"", uri,
                               "\" is not an ldap:// or ldaps:// URI"));
      }
      ldap.uris.push_back(uri);
    }
  }
  std::string tls = c.String(node["tls"], "ldap.tls", true);
  if (tls == "ldaps") {
    ldap.tls = LdapTls::kLdaps;
  } else if (tls == "starttls") {
    ldap.tls = LdapTls::kStartTls;
  } else if (tls == "none") {
    ldap.tls = LdapTls::kNone;
  } else if (!tls.empty()) {
    c.Problem(absl::StrCat("\"ldap.tls\" must be ldaps, starttls or none, not \"", tls, "\""));
  }
  ldap.ca_file = c.String(node["ca_file"], "ldap.ca_file", false);
  if (tls == "ldaps") {
    for (const std::string& u : ldap.uris) {
      if (absl::StartsWith(u, "ldap://")) {
        c.Problem(absl::StrCat("\"ldap.tls\" is ldaps but \"", u,
                               "\" is plaintext ldap://; use ldaps:// or tls: starttls"));
      }
    }
  }
  ldap.bind_dn = c.String(node["bind_dn"], "ldap.bind_dn", true);
  std::string pw_file = c.String(node["bind_password_file"], "ldap.bind_password_file", true);
  if (!pw_file.empty()) {
    absl::StatusOr<std::string> read = ReadSecretFile(pw_file);
    if (!read.ok()) {
      c.Problem(absl::StrCat("\"ldap.bind_password_file\": ", read.status().message()));
    } else {
      std::string pw = std::move(*read);
      // One trailing newline is what editors add; the rest is the password.
      if (absl::EndsWith(pw, "\n")) pw.pop_back();
      if (absl::EndsWith(pw, "\r")) pw.pop_back();
      if (pw.empty()) {
        c.Problem(absl::StrCat("\"ldap.bind_password_file\" \"", pw_file, "\" is empty"));
      }
      ldap.bind_password = std::move(pw);
    }
  }
  ldap.base_dn = c.String(node["base_dn"], "ldap.base_dn", true);
  if (!ldap.base_dn.empty()) {
    // Every search is confined to it: it must parse as a DN.
    if (absl::Status st = ValidateDn(ldap.base_dn, "\"ldap.base_dn\""); !st.ok()) {
      c.Problem(std::string(st.message()));
    }
  }
  std::string profile = c.String(node["profile"], "ldap.profile", false);
  if (profile.empty() || profile == "active_directory") {
    ldap.profile = LdapProfile::kActiveDirectory;
  } else if (profile == "openldap") {
    ldap.profile = LdapProfile::kOpenLdap;
  } else {
    c.Problem(absl::StrCat("\"ldap.profile\" must be active_directory or openldap, not \"",
                           profile, "\""));
  }
  ldap.timeout = c.Duration(node["timeout"], "ldap.timeout", absl::Seconds(10));
  ldap.connect_timeout =
      c.Duration(node["connect_timeout"], "ldap.connect_timeout", absl::Seconds(5));
  ldap.page_size = c.Int(node["page_size"], "ldap.page_size", 1000, 1, 100000);
  ldap.pool_size = c.Int(node["pool_size"], "ldap.pool_size", 8, 1, 256);
  ldap.max_streams = c.Int(node["max_streams"], "ldap.max_streams", kDefaultMaxStreams, 1,
                           kMaxMaxStreams);
  ldap.follow_referrals = c.Bool(node["follow_referrals"], "ldap.follow_referrals", false);
  const YAML::Node attrs = node["attributes"];
  if (attrs && !attrs.IsMap()) {
    c.Problem("\"ldap.attributes\" must be a map of field: attribute");
  } else if (attrs) {
    for (const auto& kv : attrs) {
      ldap.attributes[kv.first.as<std::string>()] =
          kv.second.IsScalar() ? kv.second.as<std::string>() : "";
    }
    absl::Status st = ResolveAttributeMap(ldap.profile, ldap.attributes).status();
    if (!st.ok()) c.Problem(std::string(st.message()));
  }
}

}  // namespace

absl::StatusOr<ConnectorConfig> LoadConfig(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return absl::FailedPreconditionError(absl::StrCat("config: cannot read \"", path, "\""));
  } catch (const YAML::Exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("config: \"", path, "\" is not valid YAML: ", e.what()));
  }
  if (!root.IsMap()) {
    return absl::FailedPreconditionError(
        absl::StrCat("config: \"", path, "\" must be a YAML map"));
  }
  ConnectorConfig config;
  Checker c;
  try {
    c.KnownKeys(root, "", {"cloud", "state_dir", "ldap", "tunnel", "log_level", "log_format",
                           "metrics_addr"});
    const YAML::Node cloud = root["cloud"];
    if (!cloud || !cloud.IsMap()) {
      c.Problem("\"cloud\" section is required");
    } else {
      c.KnownKeys(cloud, "cloud.", {"address", "insecure", "ca_file"});
      const YAML::Node address = cloud["address"];
      if (address && address.IsSequence()) {
        for (const auto& a : address) {
          std::string one = c.String(a, "cloud.address", true);
          if (!one.empty()) config.cloud_addresses.push_back(std::move(one));
        }
        if (config.cloud_addresses.empty()) {
          c.Problem("\"cloud.address\" must name HOST:PORT, or list one or more");
        }
        if (config.cloud_addresses.size() > 64) {
          c.Problem("\"cloud.address\" lists more than 64 addresses");
        }
      } else {
        std::string one = c.String(address, "cloud.address", true);
        if (!one.empty()) config.cloud_addresses.push_back(std::move(one));
      }
      config.cloud_insecure = c.Bool(cloud["insecure"], "cloud.insecure", false);
      config.cloud_ca_file = c.String(cloud["ca_file"], "cloud.ca_file", false);
    }
    config.state_dir = c.String(root["state_dir"], "state_dir", true);
    const YAML::Node tunnel = root["tunnel"];
    if (tunnel) {
      c.KnownKeys(tunnel, "tunnel.", {"reconnect_max_backoff", "drain_timeout", "worker_threads",
                                      "renew_check_interval"});
      config.renew_check_interval = c.Duration(
          tunnel["renew_check_interval"], "tunnel.renew_check_interval", absl::Hours(1));
      config.reconnect_max_backoff = c.Duration(
          tunnel["reconnect_max_backoff"], "tunnel.reconnect_max_backoff", absl::Seconds(60));
      config.drain_timeout =
          c.Duration(tunnel["drain_timeout"], "tunnel.drain_timeout", absl::Seconds(10));
      config.worker_threads =
          c.Int(tunnel["worker_threads"], "tunnel.worker_threads", 16, 1, 1024);
    }
    if (root["log_level"]) config.log_level = c.String(root["log_level"], "log_level", true);
    if (root["log_format"]) {
      config.log_format = c.String(root["log_format"], "log_format", true);
      if (config.log_format != "text" && config.log_format != "json") {
        c.Problem("\"log_format\" must be text or json");
      }
    }
    config.metrics_addr = c.String(root["metrics_addr"], "metrics_addr", false);
    LoadLdap(root["ldap"], c, config.ldap);
  } catch (const YAML::Exception& e) {
    c.Problem(absl::StrCat("malformed value: ", e.what()));
  }
  if (!c.problems().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "config \"", path, "\" has ", c.problems().size(), " problem(s):\n  - ",
        absl::StrJoin(c.problems(), "\n  - ")));
  }
  return config;
}

}  // namespace dirbridge::connector
