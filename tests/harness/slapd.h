#ifndef DIRBRIDGE_TESTS_HARNESS_SLAPD_H_
#define DIRBRIDGE_TESTS_HARNESS_SLAPD_H_

#include <signal.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/harness/process.h"

namespace dirbridge::testing {

struct SlapdOptions {
  std::string suffix = "dc=example,dc=com";
  // More databases, each with its own naming context.
  std::vector<std::string> extra_suffixes;
  // Generated entries: ou=people with `ous` department OUs (ou=deptK) and
  // this many inetOrgPerson users (uid=user00001 … in ou=dept<i % ous>,
  // password "pw-<uid>"); ou=groups with cn=group1 … (user i in group
  // (i-1) % groups + 1), and cn=nested-outer ⊃ {cn=nested-inner, user 4},
  // cn=nested-inner ⊃ {users 1..3}. memberOf is kept by the memberof overlay
  // and written for the generated users.
  int users = 20;
  int groups = 3;
  int ous = 4;
  // TLS: a CA made for the test; StartTLS on uri(), ldaps on ldaps_uri().
  bool tls = false;
  // The ppolicy overlay with lockout and a one-hour maximum password age,
  // and three accounts it speaks of: uid=locked (locked for good),
  // uid=mustchange (reset by an admin), uid=expired (password from 2000);
  // each with password "pw-<uid>", under ou=people.
  bool ppolicy = false;
  // More attributes of that default policy, one "name: value" a line
  // (e.g. "pwdMinLength: 8\npwdCheckQuality: 2\n").
  std::string ppolicy_extra;
  // Extra LDIF appended to the generated data.
  std::string extra_ldif;
  // Extra lines for slapd.conf's global section.
  std::string extra_global_config;
};

// A real OpenLDAP slapd on 127.0.0.1, loaded with slapadd, in a temp dir.
class Slapd {
 public:
  static constexpr char kServiceDn[] = "cn=svc,dc=example,dc=com";
  static constexpr char kServicePassword[] = "svc-secret";

  explicit Slapd(SlapdOptions options = {}) : options_(std::move(options)) {}
  ~Slapd() { Stop(); }

  absl::Status Start();
  // Starts again on the same port and data (after Stop or Kill).
  absl::Status Restart();
  // Access rules put before the default ones at the next (Re)start, e.g.
  // to take read access away from the service account.
  void SetExtraAcl(std::string acl) { extra_acl_ = std::move(acl); }
  // The admin (rootdn) for ldapmodify and friends.
  std::string AdminDn() const { return "cn=admin," + options_.suffix; }
  static constexpr char kAdminPassword[] = "admin-secret";
  // Runs an LDAP tool (ldapmodify, ldapdelete, ldapmodrdn) as the admin.
  absl::Status Admin(const std::string& tool, const std::vector<std::string>& args,
                     const std::string& stdin_ldif = "") const;
  void Stop();
  // SIGSTOP, and waits until the kernel shows slapd stopped: on a loaded
  // machine a request sent right after kill() could still be answered.
  void Freeze();
  pid_t pid() const { return process_.pid(); }
  void Thaw() { process_.Signal(SIGCONT); }

  int port() const { return port_; }
  std::string uri() const;
  std::string ldaps_uri() const;
  // PEM of the CA that signed the server's certificate, and of another CA.
  std::string ca_file() const { return dir_ + "/ca.pem"; }
  std::string other_ca_file() const { return dir_ + "/other-ca.pem"; }

  std::string UserDn(int i) const;
  std::string GroupDn(const std::string& cn) const;
  const std::string& dir() const { return dir_; }
  const SlapdOptions& options() const { return options_; }

  // ldapsearch as the service account; its output (-LLL).
  absl::StatusOr<std::string> Search(const std::string& base, const std::string& scope,
                                     const std::string& filter,
                                     const std::vector<std::string>& attrs) const;

 private:
  absl::Status Launch();
  absl::Status WriteConfig();
  absl::Status LoadAndLaunch();
  absl::Status MakeCertificates();
  std::string GenerateLdif() const;

  SlapdOptions options_;
  std::string dir_;
  std::string extra_acl_;
  int port_ = 0;
  int ldaps_port_ = 0;
  Process process_;
};

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_HARNESS_SLAPD_H_
