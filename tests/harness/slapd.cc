#include "tests/harness/slapd.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dirbridge::testing {
namespace {

std::string DcOf(const std::string& suffix) {
  // "dc=example,dc=com" -> "example"
  size_t eq = suffix.find('=');
  size_t comma = suffix.find(',');
  return suffix.substr(eq + 1, comma - eq - 1);
}

}  // namespace

std::string Slapd::uri() const { return absl::StrCat("ldap://127.0.0.1:", port_); }

std::string Slapd::GenerateLdif() const {
  const std::string& s = options_.suffix;
  std::string out = absl::StrCat(
      "dn: ", s, "\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: ",
      DcOf(s), "\n\n",
      "dn: cn=svc,", s, "\nobjectClass: person\nobjectClass: simpleSecurityObject\n"
      "cn: svc\nsn: svc\nuserPassword: ", kServicePassword, "\n\n",
      "dn: ou=people,", s, "\nobjectClass: organizationalUnit\nou: people\n\n",
      "dn: ou=groups,", s, "\nobjectClass: organizationalUnit\nou: groups\n\n");
  for (int i = 1; i <= options_.users; ++i) {
    std::string uid = absl::StrFormat("user%05d", i);
    absl::StrAppend(&out, "dn: uid=", uid, ",ou=people,", s,
                    "\nobjectClass: inetOrgPerson\nuid: ", uid, "\ncn: User ", i,
                    "\nsn: ", i, "\ndisplayName: User ", i, "\nmail: ", uid,
                    "@example.com\nuserPassword: pw-", uid, "\n\n");
  }
  for (int g = 1; g <= options_.groups; ++g) {
    absl::StrAppend(&out, "dn: cn=group", g, ",ou=groups,", s,
                    "\nobjectClass: groupOfNames\ncn: group", g, "\n");
    int members = 0;
    for (int i = g; i <= options_.users; i += options_.groups) {
      absl::StrAppend(&out, "member: uid=", absl::StrFormat("user%05d", i),
                      ",ou=people,", s, "\n");
      ++members;
    }
    if (members == 0) absl::StrAppend(&out, "member: cn=svc,", s, "\n");
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, options_.extra_ldif);
  return out;
}

absl::Status Slapd::Start() {
  dir_ = MakeTempDir("slapd");
  if (dir_.empty()) return absl::InternalError("cannot make a temp dir");
  std::string conf = absl::StrCat(
      "include /etc/ldap/schema/core.schema\n"
      "include /etc/ldap/schema/cosine.schema\n"
      "include /etc/ldap/schema/inetorgperson.schema\n"
      "include /etc/ldap/schema/nis.schema\n"
      "modulepath /usr/lib/ldap\n"
      "moduleload back_mdb\n"
      "pidfile ", dir_, "/slapd.pid\n",
      options_.extra_global_config, "\n",
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
                    "directory ", db, "\nindex objectClass,uid,cn,member eq\n\n");
  }
  WriteFile(dir_ + "/slapd.conf", conf);
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
    if (Launch().ok()) return absl::OkStatus();
  }
  return absl::InternalError(absl::StrCat("slapd did not start; log: ",
                                          ReadFileOrEmpty(dir_ + "/slapd.log")));
}

absl::Status Slapd::Launch() {
  absl::Status st = process_.Start(
      {"slapd", "-d", "0", "-f", dir_ + "/slapd.conf", "-h", uri()},
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
  return Launch();
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
