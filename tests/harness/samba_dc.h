#ifndef DIRBRIDGE_TESTS_HARNESS_SAMBA_DC_H_
#define DIRBRIDGE_TESTS_HARNESS_SAMBA_DC_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dirbridge::testing {

// A real Active Directory domain controller: Samba's AD DC, provisioned in
// a directory of its own, listening on 127.0.0.1 only (ldap 389, ldaps 636:
// Samba's ports cannot be moved, so there is one DC per test run, started
// by the ctest fixture samba_dc and shared by every AD test).
//
// What it holds, under DC=dirbridge,DC=test (every password is
// Password(name), "AdPw-<name>-1"):
//   OU=Services  CN=svc-dirbridge        the connector's service account
//   OU=People    alice (UPN alice@dirbridge.test, mail, displayName),
//                carol, disabled (ACCOUNTDISABLE), mustchange
//                (pwdLastSet=0), expired (accountExpires in 2000),
//                pwexpired and agedpw (password set in 2000, past the
//                maximum age; agedpw for a password change), changer (for
//                password changes); OU=Dept0 under it with dave
//   OU=Groups    CN=inner {alice, carol}, CN=outer {CN=inner, dave},
//                CN=big {every bulk user}
//   OU=Bulk      kBulkUsers users bulk00001… (no password, enabled)
// Domain policy: lockout after kLockoutThreshold bad passwords, no minimum
// password age, complexity on, history on. `ldap server require strong
// auth` is Samba's (and Windows 2019+'s hardened) default: a simple bind
// on plain LDAP is refused.
class SambaDc {
 public:
  static constexpr char kRealm[] = "DIRBRIDGE.TEST";
  static constexpr char kDomain[] = "DIRBRIDGE";
  static constexpr char kBaseDn[] = "DC=dirbridge,DC=test";
  static constexpr char kUpnSuffix[] = "dirbridge.test";
  static constexpr char kServiceDn[] = "CN=svc-dirbridge,OU=Services,DC=dirbridge,DC=test";
  static constexpr char kAdminDn[] = "CN=Administrator,CN=Users,DC=dirbridge,DC=test";
  static constexpr int kBulkUsers = 1600;
  static constexpr int kLockoutThreshold = 3;

  // The DC described by the files in `dir` (made by Provision).
  explicit SambaDc(std::string dir) : dir_(std::move(dir)) {}
  // The DC the fixture started: $DIRBRIDGE_SAMBA_DC_DIR.
  static SambaDc FromEnvironment();

  static std::string Password(const std::string& name) { return "AdPw-" + name + "-1"; }
  static std::string AdminPassword() { return Password("Administrator"); }
  static std::string ServicePassword() { return Password("svc-dirbridge"); }
  static std::string PeopleDn(const std::string& cn);
  static std::string GroupDn(const std::string& cn);
  static std::string BulkDn(int i);
  static std::string BulkName(int i);

  // Provisions a new domain in dir (emptied first), with a test CA.
  absl::Status Provision();
  // Loads the data above, before the first Start.
  absl::Status LoadData() const;
  // Starts samba in the background (a session of its own, so that it
  // outlives the fixture's process) and waits until ldaps answers. A DC
  // still running from an earlier run of this dir is stopped first.
  absl::Status Start();
  // Stops the DC recorded in dir, if any.
  absl::Status Stop();
  // True when ldaps answers a bind as the service account.
  bool Answers() const;

  const std::string& dir() const { return dir_; }
  std::string ldaps_uri() const { return "ldaps://127.0.0.1:636"; }
  std::string ldap_uri() const { return "ldap://127.0.0.1:389"; }
  std::string ca_file() const { return dir_ + "/tls/ca.pem"; }
  std::string log_path() const { return dir_ + "/samba.log"; }

  // An LDAP tool (ldapadd, ldapmodify, ldapdelete, ldapsearch) as the
  // domain Administrator over ldaps; its output.
  absl::StatusOr<std::string> Admin(const std::string& tool, const std::vector<std::string>& args,
                                    const std::string& stdin_ldif = "") const;

 private:
  absl::Status MakeCertificates() const;
  // Stop, then fails if anything else holds 389 or 636.
  absl::Status StopAndCheckPorts();
  std::string SmbConf() const { return dir_ + "/etc/smb.conf"; }
  std::string PidFile() const { return dir_ + "/samba.pid"; }

  std::string dir_;
};

// The unicodePwd value AD takes: the password in double quotes, UTF-16LE,
// base64 for LDIF (MS-ADTS 3.1.1.3.1.5.1).
std::string UnicodePwdBase64(const std::string& password);

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_HARNESS_SAMBA_DC_H_
