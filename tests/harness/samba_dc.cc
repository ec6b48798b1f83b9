#include "tests/harness/samba_dc.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "tests/harness/process.h"

namespace dirbridge::testing {
namespace {

absl::Status Run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
  int code = 0;
  absl::StatusOr<std::string> out = RunCommand(argv, &code, env);
  if (!out.ok()) return out.status();
  if (code == 127) {
    return absl::FailedPreconditionError(absl::StrCat(
        argv[0], " is not installed: deploy/setup.sh installs Samba's AD DC packages"));
  }
  if (code != 0) {
    return absl::InternalError(absl::StrCat(argv[0], " ", argv.size() > 1 ? argv[1] : "",
                                            " exited with ", code, ": ", *out));
  }
  return absl::OkStatus();
}

std::string UserLdif(const std::string& dn, const std::string& name, const std::string& extra) {
  return absl::StrCat("dn: ", dn, "\nobjectClass: user\nsAMAccountName: ", name,
                      "\nuserPrincipalName: ", name, "@", SambaDc::kUpnSuffix, "\nmail: ", name,
                      "@", SambaDc::kUpnSuffix, "\n", extra, "\n");
}

std::string PasswordUser(const std::string& dn, const std::string& name,
                         const std::string& extra = "", int uac = 512) {
  return UserLdif(dn, name,
                  absl::StrCat("unicodePwd:: ", UnicodePwdBase64(SambaDc::Password(name)),
                               "\nuserAccountControl: ", uac, "\n", extra));
}

bool Alive(pid_t pid) {
  // Not our child after the fixture's process ended: ask the kernel, and
  // make sure the pid still names samba (pids are reused).
  std::string cmd = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/cmdline"));
  return kill(pid, 0) == 0 && cmd.find("samba") != std::string::npos;
}

}  // namespace

std::string UnicodePwdBase64(const std::string& password) {
  std::string quoted = "\"" + password + "\"";
  std::string utf16;
  for (char c : quoted) {  // the tests' passwords are ASCII
    utf16.push_back(c);
    utf16.push_back('\0');
  }
  return absl::Base64Escape(utf16);
}

SambaDc SambaDc::FromEnvironment() {
  const char* dir = getenv("DIRBRIDGE_SAMBA_DC_DIR");
  return SambaDc(dir ? dir : "");
}

std::string SambaDc::PeopleDn(const std::string& cn) {
  return absl::StrCat("CN=", cn, ",OU=People,", kBaseDn);
}
std::string SambaDc::GroupDn(const std::string& cn) {
  return absl::StrCat("CN=", cn, ",OU=Groups,", kBaseDn);
}
std::string SambaDc::BulkName(int i) { return absl::StrFormat("bulk%05d", i); }
std::string SambaDc::BulkDn(int i) {
  return absl::StrCat("CN=", BulkName(i), ",OU=Bulk,", kBaseDn);
}

absl::Status SambaDc::MakeCertificates() const {
  std::string tls = dir_ + "/tls";
  mkdir(tls.c_str(), 0700);
  absl::Status st = Run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                         "/CN=dirbridge test AD CA", "-keyout", tls + "/ca-key.pem", "-out",
                         tls + "/ca.pem"});
  if (!st.ok()) return st;
  WriteFile(tls + "/san.ext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:dc1.dirbridge.test\n"
            "extendedKeyUsage=serverAuth\n");
  st = Run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-subj", "/CN=dc1.dirbridge.test", "-keyout", tls + "/key.pem", "-out",
            tls + "/server.csr"});
  if (!st.ok()) return st;
  st = Run({"openssl", "x509", "-req", "-in", tls + "/server.csr", "-CA", ca_file(), "-CAkey",
            tls + "/ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", tls + "/san.ext",
            "-out", tls + "/cert.pem"});
  // Samba refuses a key file others can read.
  chmod((tls + "/key.pem").c_str(), 0600);
  return st;
}

absl::Status SambaDc::Provision() {
  if (dir_.empty()) return absl::InvalidArgumentError("samba_dc: no directory");
  absl::Status st = StopAndCheckPorts();
  if (!st.ok()) return st;
  st = Run({"rm", "-rf", dir_});
  if (!st.ok()) return st;
  if (mkdir(dir_.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("samba_dc: cannot make ", dir_));
  }
  st = MakeCertificates();
  if (!st.ok()) return st;
  // Every path Samba writes under dir_, so that nothing of the machine's
  // own Samba (/var/lib/samba, /run/samba) is touched or needed.
  std::vector<std::string> argv = {
      "samba-tool", "domain", "provision", "--use-rfc2307", "--dns-backend=NONE",
      "--server-role=dc", absl::StrCat("--realm=", kRealm), absl::StrCat("--domain=", kDomain),
      "--host-name=dc1", "--adminpass=" + AdminPassword(), "--targetdir=" + dir_, "--quiet"};
  for (const std::string& opt : {
           std::string("interfaces=127.0.0.1"), std::string("bind interfaces only=yes"),
           // Simple binds and password changes need only the LDAP server.
           std::string("server services=ldap"),
           "pid directory=" + dir_ + "/run", "ncalrpc dir=" + dir_ + "/run/ncalrpc",
           "winbindd socket directory=" + dir_ + "/run/winbindd",
           "ntp signd socket directory=" + dir_ + "/run/ntp_signd",
           "log file=" + dir_ + "/log.%m", std::string("tls enabled=yes"),
           "tls keyfile=" + dir_ + "/tls/key.pem", "tls certfile=" + dir_ + "/tls/cert.pem",
           "tls cafile=" + dir_ + "/tls/ca.pem"}) {
    argv.push_back("--option=" + opt);
  }
  st = Run(argv);
  if (!st.ok()) return st;
  mkdir((dir_ + "/run").c_str(), 0755);
  return absl::OkStatus();
}

absl::Status SambaDc::LoadData() const {
  const std::string b = kBaseDn;
  std::string ldif;
  for (const char* ou : {"Services", "People", "Groups", "Bulk"}) {
    absl::StrAppend(&ldif, "dn: OU=", ou, ",", b, "\nobjectClass: organizationalUnit\n\n");
  }
  absl::StrAppend(&ldif, "dn: OU=Dept0,OU=People,", b, "\nobjectClass: organizationalUnit\n\n");
  absl::StrAppend(&ldif, PasswordUser(kServiceDn, "svc-dirbridge"));
  absl::StrAppend(&ldif, PasswordUser(PeopleDn("alice"), "alice", "displayName: Alice Liddell\n"));
  for (const char* name : {"carol", "changer"}) {
    absl::StrAppend(&ldif, PasswordUser(PeopleDn(name), name));
  }
  absl::StrAppend(&ldif, PasswordUser(absl::StrCat("CN=dave,OU=Dept0,OU=People,", b), "dave"));
  // 0x202: NORMAL_ACCOUNT | ACCOUNTDISABLE.
  absl::StrAppend(&ldif, PasswordUser(PeopleDn("disabled"), "disabled", "", 0x202));
  absl::StrAppend(&ldif, PasswordUser(PeopleDn("mustchange"), "mustchange", "pwdLastSet: 0\n"));
  // 2000-01-01 as a FILETIME (100 ns since 1601).
  absl::StrAppend(&ldif, PasswordUser(PeopleDn("expired"), "expired",
                                      "accountExpires: 125911584000000000\n"));
  for (const char* name : {"pwexpired", "agedpw"}) {
    absl::StrAppend(&ldif, PasswordUser(PeopleDn(name), name));
  }
  for (int i = 1; i <= kBulkUsers; ++i) {
    // 0x220: NORMAL_ACCOUNT | PASSWD_NOTREQD: enabled without a password,
    // which would cost the DC a key derivation per user.
    absl::StrAppend(&ldif, UserLdif(BulkDn(i), BulkName(i),
                                    absl::StrCat("displayName: Bulk ", i,
                                                 "\nuserAccountControl: 544\n")));
  }
  absl::StrAppend(&ldif, "dn: ", GroupDn("inner"), "\nobjectClass: group\nsAMAccountName: inner\n",
                  "member: ", PeopleDn("alice"), "\nmember: ", PeopleDn("carol"), "\n\n");
  absl::StrAppend(&ldif, "dn: ", GroupDn("outer"), "\nobjectClass: group\nsAMAccountName: outer\n",
                  "member: ", GroupDn("inner"), "\nmember: CN=dave,OU=Dept0,OU=People,", b,
                  "\n\n");
  absl::StrAppend(&ldif, "dn: ", GroupDn("big"), "\nobjectClass: group\nsAMAccountName: big\n");
  for (int i = 1; i <= kBulkUsers; ++i) absl::StrAppend(&ldif, "member: ", BulkDn(i), "\n");
  absl::StrAppend(&ldif, "\n");
  std::string path = dir_ + "/data.ldif";
  WriteFile(path, ldif, 0600);
  // Straight into sam.ldb before the first start: no network, one process,
  // and Samba's own modules still make SIDs, GUIDs, USNs and links.
  std::string sam = dir_ + "/private/sam.ldb";
  absl::Status st = Run({"ldbadd", "-H", sam, "--configfile=" + SmbConf(), path});
  if (!st.ok()) return st;
  // A password set in 2000, older than the domain's maximum age (42 days):
  // over LDAP pwdLastSet takes only 0 or -1, so past the password_hash
  // module (DSDB_CONTROL_BYPASS_PASSWORD_HASH_OID), offline.
  std::string aged = dir_ + "/aged.ldif";
  std::string aged_ldif;
  for (const char* name : {"pwexpired", "agedpw"}) {
    absl::StrAppend(&aged_ldif, "dn: ", PeopleDn(name),
                    "\nchangetype: modify\nreplace: pwdLastSet\n"
                    "pwdLastSet: 125911584000000000\n\n");
  }
  WriteFile(aged, aged_ldif);
  st = Run({"ldbmodify", "-H", sam, "--configfile=" + SmbConf(),
            "--controls=local_oid:1.3.6.1.4.1.7165.4.3.12:0", aged});
  if (!st.ok()) return st;
  return Run({"samba-tool", "domain", "passwordsettings", "set", "-H", sam,
              "--configfile=" + SmbConf(),
              absl::StrCat("--account-lockout-threshold=", kLockoutThreshold),
              "--account-lockout-duration=30", "--reset-account-lockout-after=30",
              "--min-pwd-age=0"});
}

absl::Status SambaDc::StopAndCheckPorts() {
  absl::Status st = Stop();
  if (!st.ok()) return st;
  for (int port : {389, 636}) {
    if (PortAcceptsConnections(port)) {
      // Samba would log a bind failure and serve without it.
      return absl::FailedPreconditionError(absl::StrCat(
          "samba_dc: 127.0.0.1:", port, " is held by another process (a system slapd or "
          "samba? `ss -ltnp`): the DC needs AD's fixed LDAP ports"));
    }
  }
  return absl::OkStatus();
}

absl::Status SambaDc::Start() {
  absl::Status st = StopAndCheckPorts();
  if (!st.ok()) return st;
  int log = open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log < 0) return absl::InternalError(absl::StrCat("samba_dc: cannot open ", log_path()));
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("samba_dc: fork failed");
  if (pid == 0) {
    // A session of its own: the fixture's process ends, the DC stays.
    // No inherited pipe either, or ctest would wait for it to close.
    setsid();
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    // A DC left behind by a killed run stops by itself.
    execlp("samba", "samba", "-i", "-M", "single", "-s", SmbConf().c_str(),
           "--maximum-runtime=7200", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(log);
  WriteFile(PidFile(), absl::StrCat(pid, "\n"));
  bool exited = false;
  if (!WaitFor(
          [&] {
            int status = 0;
            exited = waitpid(pid, &status, WNOHANG) == pid;
            return exited || (PortAcceptsConnections(636) && Answers());
          },
          absl::Seconds(60), absl::Milliseconds(100)) ||
      exited) {
    return absl::UnavailableError(
        absl::StrCat("samba_dc: the DC did not answer on ldaps; its log:\n",
                     ReadFileOrEmpty(log_path())));
  }
  return absl::OkStatus();
}

absl::Status SambaDc::Stop() {
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFileOrEmpty(PidFile())), &pid) ||
      pid <= 0) {
    return absl::OkStatus();
  }
  if (Alive(pid)) {
    kill(pid, SIGTERM);
    if (!WaitFor([&] { return !Alive(pid); }, absl::Seconds(10))) kill(pid, SIGKILL);
    if (!WaitFor([&] { return !Alive(pid) && !PortAcceptsConnections(636); },
                 absl::Seconds(10))) {
      return absl::InternalError(absl::StrCat("samba_dc: pid ", pid, " does not stop"));
    }
  }
  std::remove(PidFile().c_str());
  return absl::OkStatus();
}

bool SambaDc::Answers() const {
  int code = 0;
  // A bound read of the rootDSE (Samba has no WhoAmI operation).
  absl::StatusOr<std::string> out =
      RunCommand({"ldapsearch", "-x", "-H", ldaps_uri(), "-D", kServiceDn, "-w",
                  ServicePassword(), "-b", "", "-s", "base", "(objectClass=*)", "1.1"},
                 &code, {"LDAPTLS_CACERT=" + ca_file()});
  return out.ok() && code == 0;
}

absl::StatusOr<std::string> SambaDc::Admin(const std::string& tool,
                                           const std::vector<std::string>& args,
                                           const std::string& stdin_ldif) const {
  std::string input = MakeTempDir("ad-admin") + "/input.ldif";
  WriteFile(input, stdin_ldif, 0600);
  std::vector<std::string> argv = {tool, "-x", "-H", ldaps_uri(), "-D", kAdminDn, "-w",
                                   AdminPassword()};
  if (!stdin_ldif.empty()) argv.insert(argv.end(), {"-f", input});
  argv.insert(argv.end(), args.begin(), args.end());
  int code = 0;
  absl::StatusOr<std::string> out = RunCommand(argv, &code, {"LDAPTLS_CACERT=" + ca_file()});
  if (!out.ok()) return out.status();
  if (code != 0) return absl::InternalError(absl::StrCat(tool, ": ", *out));
  return out;
}

}  // namespace dirbridge::testing
