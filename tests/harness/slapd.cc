#include "tests/harness/slapd.h"

#include <fstream>

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include <algorithm>

namespace dirbridge::testing {
namespace {

std::string DcOf(const std::string& suffix) {
  // "dc=example,dc=com" -> "example"
  size_t eq = suffix.find('=');
  size_t comma = suffix.find(',');
  return suffix.substr(eq + 1, comma - eq - 1);
}

}  // namespace

void Slapd::Freeze() {
  process_.Signal(SIGSTOP);
  absl::Time until = absl::Now() + absl::Seconds(5);
  while (absl::Now() < until) {
    std::ifstream in(absl::StrCat("/proc/", process_.pid(), "/stat"));
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(')');
    if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'T') return;
    absl::SleepFor(absl::Milliseconds(1));
  }
}

std::string Slapd::uri() const { return absl::StrCat("ldap://127.0.0.1:", port_); }
std::string Slapd::ldaps_uri() const {
  return absl::StrCat("ldaps://127.0.0.1:", ldaps_port_);
}

std::string Slapd::UserDn(int i) const {
  return absl::StrFormat("uid=user%05d,ou=dept%d,ou=people,%s", i, i % options_.ous,
                         options_.suffix);
}

std::string Slapd::GroupDn(const std::string& cn) const {
  return absl::StrCat("cn=", cn, ",ou=groups,", options_.suffix);
}

std::string Slapd::GenerateLdif() const {
  const std::string& s = options_.suffix;
  std::string out = absl::StrCat(
      "dn: ", s, "\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: ",
      DcOf(s), "\n\n",
      "dn: cn=svc,", s, "\nobjectClass: person\nobjectClass: simpleSecurityObject\n"
      "cn: svc\nsn: svc\nuserPassword: ", kServicePassword, "\n\n",
      "dn: ou=people,", s, "\nobjectClass: organizationalUnit\nou: people\n\n",
      "dn: ou=groups,", s, "\nobjectClass: organizationalUnit\nou: groups\n\n");
  for (int k = 0; k < options_.ous; ++k) {
    absl::StrAppend(&out, "dn: ou=dept", k, ",ou=people,", s,
                    "\nobjectClass: organizationalUnit\nou: dept", k, "\n\n");
  }
  auto group_of = [&](int i) { return (i - 1) % std::max(1, options_.groups) + 1; };
  for (int i = 1; i <= options_.users; ++i) {
    std::string uid = absl::StrFormat("user%05d", i);
    absl::StrAppend(&out, "dn: ", UserDn(i), "\nobjectClass: inetOrgPerson\nuid: ", uid,
                    "\ncn: User ", i, "\nsn: ", i, "\ndisplayName: User ", i,
                    "\nmail: ", uid, "@example.com\nuserPassword: pw-", uid, "\n");
    if (options_.groups > 0) {
      absl::StrAppend(&out, "memberOf: ", GroupDn(absl::StrCat("group", group_of(i))), "\n");
    }
    if (i <= 3) absl::StrAppend(&out, "memberOf: ", GroupDn("nested-inner"), "\n");
    if (i == 4) absl::StrAppend(&out, "memberOf: ", GroupDn("nested-outer"), "\n");
    absl::StrAppend(&out, "\n");
  }
  for (int g = 1; g <= options_.groups; ++g) {
    absl::StrAppend(&out, "dn: ", GroupDn(absl::StrCat("group", g)),
                    "\nobjectClass: groupOfNames\ncn: group", g, "\n");
    int members = 0;
    for (int i = g; i <= options_.users; i += options_.groups) {
      absl::StrAppend(&out, "member: ", UserDn(i), "\n");
      ++members;
    }
    if (members == 0) absl::StrAppend(&out, "member: cn=svc,", s, "\n");
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, "dn: ", GroupDn("nested-inner"),
                  "\nobjectClass: groupOfNames\ncn: nested-inner\n");
  for (int i = 1; i <= std::min(3, options_.users); ++i) {
    absl::StrAppend(&out, "member: ", UserDn(i), "\n");
  }
  if (options_.users == 0) absl::StrAppend(&out, "member: cn=svc,", s, "\n");
  absl::StrAppend(&out, "\ndn: ", GroupDn("nested-outer"),
                  "\nobjectClass: groupOfNames\ncn: nested-outer\nmember: ",
                  GroupDn("nested-inner"), "\n");
  if (options_.users >= 4) absl::StrAppend(&out, "member: ", UserDn(4), "\n");
  absl::StrAppend(&out, "\n");
  if (options_.ppolicy) {
    absl::StrAppend(&out, "dn: ou=policies,", s, "\nobjectClass: organizationalUnit\nou: policies\n\n",
                    "dn: cn=default,ou=policies,", s,
                    "\nobjectClass: person\nobjectClass: pwdPolicy\ncn: default\nsn: policy\n"
                    "pwdAttribute: userPassword\npwdMaxAge: 3600\npwdLockout: TRUE\n"
                    "pwdMaxFailure: 1000\npwdMustChange: TRUE\n", options_.ppolicy_extra, "\n");
    for (const auto& [uid, extra] :
         std::vector<std::pair<std::string, std::string>>{
             {"locked", "pwdAccountLockedTime: 000001010000Z\n"},
             {"mustchange", "pwdReset: TRUE\n"},
             {"expired", "pwdChangedTime: 20000101000000Z\n"}}) {
      absl::StrAppend(&out, "dn: uid=", uid, ",ou=people,", s, "\nobjectClass: inetOrgPerson\nuid: ",
                      uid, "\ncn: ", uid, "\nsn: ", uid, "\nuserPassword: pw-", uid, "\n", extra,
                      "\n");
    }
  }
  absl::StrAppend(&out, options_.extra_ldif);
  return out;
}

absl::Status Slapd::MakeCertificates() {
  auto run = [](const std::vector<std::string>& argv) -> absl::Status {
    int code = 0;
    absl::StatusOr<std::string> out = RunCommand(argv, &code);
    if (!out.ok()) return out.status();
    if (code != 0) return absl::InternalError(absl::StrCat("openssl: ", *out));
    return absl::OkStatus();
  };
  for (const std::string& ca : {std::string("ca"), std::string("other-ca")}) {
    absl::Status st = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                           "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                           "-subj", "/CN=dirbridge test " + ca, "-keyout",
                           dir_ + "/" + ca + "-key.pem", "-out", dir_ + "/" + ca + ".pem"});
    if (!st.ok()) return st;
  }
  WriteFile(dir_ + "/san.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  absl::Status st = run({"openssl", "req", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
                         "-keyout", dir_ + "/server-key.pem", "-out", dir_ + "/server.csr"});
  if (!st.ok()) return st;
  return run({"openssl", "x509", "-req", "-in", dir_ + "/server.csr", "-CA", ca_file(),
              "-CAkey", dir_ + "/ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile",
              dir_ + "/san.ext", "-out", dir_ + "/server.pem"});
}

absl::Status Slapd::Start() {
  dir_ = MakeTempDir("slapd");
  if (dir_.empty()) return absl::InternalError("cannot make a temp dir");
  if (options_.tls) {
    absl::Status st = MakeCertificates();
    if (!st.ok()) return st;
  }
  absl::Status st = WriteConfig();
  if (!st.ok()) return st;
  return LoadAndLaunch();
}

absl::Status Slapd::WriteConfig() {
  std::string conf = absl::StrCat(
      "include /etc/ldap/schema/core.schema\n"
      "include /etc/ldap/schema/cosine.schema\n"
      "include /etc/ldap/schema/inetorgperson.schema\n"
      "include /etc/ldap/schema/nis.schema\n"
      "modulepath /usr/lib/ldap\n"
      "moduleload back_mdb\n"
      "moduleload memberof\n",
      options_.ppolicy ? "moduleload ppolicy\n" : "",
      "pidfile ", dir_, "/slapd.pid\n"
      // Imports read whole directories: no size limit for the tests' reads.
      "sizelimit unlimited\n",
      options_.extra_global_config, "\n",
      extra_acl_, "\n",
      "access to attrs=userPassword by self write by anonymous auth by * none\n"
      "access to * by * read\n");
  std::vector<std::string> suffixes = {options_.suffix};
  suffixes.insert(suffixes.end(), options_.extra_suffixes.begin(),
                  options_.extra_suffixes.end());
  for (size_t i = 0; i < suffixes.size(); ++i) {
    std::string db = absl::StrCat(dir_, "/db", i);
    mkdir(db.c_str(), 0700);
    absl::StrAppend(&conf, "database mdb\nmaxsize 1073741824\nsuffix \"", suffixes[i],
                    "\"\nrootdn \"cn=admin,", suffixes[i], "\"\nrootpw admin-secret\n",
                    "directory ", db, "\nindex objectClass,uid,cn,member,memberOf eq\n",
                    "overlay memberof\n",
                    options_.ppolicy && i == 0
                        ? absl::StrCat("overlay ppolicy\nppolicy_default \"cn=default,ou=policies,",
                                       suffixes[i], "\"\nppolicy_use_lockout\n")
                        : "",
                    "\n");
  }
  if (options_.tls) {
    absl::StrAppend(&conf, "TLSCACertificateFile ", ca_file(), "\nTLSCertificateFile ", dir_,
                    "/server.pem\nTLSCertificateKeyFile ", dir_, "/server-key.pem\n");
  }
  WriteFile(dir_ + "/slapd.conf", conf);
  return absl::OkStatus();
}

absl::Status Slapd::LoadAndLaunch() {
  std::vector<std::string> suffixes = {options_.suffix};
  suffixes.insert(suffixes.end(), options_.extra_suffixes.begin(),
                  options_.extra_suffixes.end());
  WriteFile(dir_ + "/data.ldif", GenerateLdif());
  for (size_t i = 1; i < suffixes.size(); ++i) {
    WriteFile(absl::StrCat(dir_, "/extra", i, ".ldif"),
              absl::StrCat("dn: ", suffixes[i],
                           "\nobjectClass: dcObject\nobjectClass: organization\no: X\ndc: ",
                           DcOf(suffixes[i]), "\n\n"));
  }
  int code = 0;
  absl::StatusOr<std::string> out = RunCommand(
      {"slapadd", "-q", "-f", dir_ + "/slapd.conf", "-b", options_.suffix, "-l",
       dir_ + "/data.ldif"},
      &code);
  if (!out.ok() || code != 0) {
    return absl::InternalError(absl::StrCat("slapadd failed: ", out.ok() ? *out : ""));
  }
  for (size_t i = 1; i < suffixes.size(); ++i) {
    out = RunCommand({"slapadd", "-q", "-f", dir_ + "/slapd.conf", "-b", suffixes[i],
                      "-l", absl::StrCat(dir_, "/extra", i, ".ldif")},
                     &code);
    if (!out.ok() || code != 0) return absl::InternalError("slapadd (extra) failed");
  }
  // slapd cannot listen on port 0 and report it: pick one, retry if taken.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = PickFreePort();
    ldaps_port_ = options_.tls ? PickFreePort() : 0;
    if (Launch().ok()) return absl::OkStatus();
  }
  return absl::InternalError(absl::StrCat("slapd did not start; log: ",
                                          ReadFileOrEmpty(dir_ + "/slapd.log")));
}

absl::Status Slapd::Launch() {
  std::string urls = uri();
  if (options_.tls) absl::StrAppend(&urls, " ", ldaps_uri());
  absl::Status st = process_.Start({"slapd", "-d", "0", "-f", dir_ + "/slapd.conf", "-h", urls},
                                   dir_ + "/slapd.log");
  if (!st.ok()) return st;
  if (!WaitFor([this] { return PortAcceptsConnections(port_); }, absl::Seconds(10))) {
    process_.Kill();
    return absl::UnavailableError("slapd did not listen");
  }
  return absl::OkStatus();
}

absl::Status Slapd::Restart() {
  Stop();
  absl::Status st = WriteConfig();
  if (!st.ok()) return st;
  return Launch();
}

absl::Status Slapd::Admin(const std::string& tool, const std::vector<std::string>& args,
                          const std::string& stdin_ldif) const {
  std::string input = dir_ + "/admin-input.ldif";
  WriteFile(input, stdin_ldif);
  std::vector<std::string> argv = {tool, "-x", "-H", uri(), "-D", AdminDn(), "-w",
                                   kAdminPassword};
  if (!stdin_ldif.empty()) argv.insert(argv.end(), {"-f", input});
  argv.insert(argv.end(), args.begin(), args.end());
  int code = 0;
  absl::StatusOr<std::string> out = RunCommand(argv, &code);
  if (!out.ok()) return out.status();
  if (code != 0) return absl::InternalError(absl::StrCat(tool, ": ", *out));
  return absl::OkStatus();
}

void Slapd::Stop() {
  if (!process_.running()) return;
  process_.Signal(SIGCONT);
  process_.Signal(SIGTERM);
  if (!process_.Wait(absl::Seconds(5)).ok()) process_.Kill();
}

absl::StatusOr<std::string> Slapd::Search(const std::string& base,
                                          const std::string& scope,
                                          const std::string& filter,
                                          const std::vector<std::string>& attrs) const {
  std::vector<std::string> argv = {"ldapsearch", "-LLL", "-x", "-o", "ldif-wrap=no",
                                   "-H", uri(), "-D", kServiceDn, "-w", kServicePassword,
                                   "-b", base, "-s", scope, filter};
  argv.insert(argv.end(), attrs.begin(), attrs.end());
  int code = 0;
  absl::StatusOr<std::string> out = RunCommand(argv, &code);
  if (!out.ok()) return out;
  if (code != 0) return absl::InternalError(absl::StrCat("ldapsearch: ", *out));
  return out;
}

}  // namespace dirbridge::testing
