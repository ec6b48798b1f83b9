#include "tests/bench/measure.h"

#include <ldap.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dirbridge/v1/auth.grpc.pb.h"
#include "tests/harness/stack.h"

namespace dirbridge::bench {

using testing::Ctx;

int64_t ProcKb(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atoll(line.c_str() + field.size() + 1);
  }
  return -1;
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

std::string UserName(int i) { return absl::StrFormat("user%05d", i); }

// Wall time of a shell command, in ms.
double TimeCommand(const std::string& cmd) {
  absl::Time t0 = absl::Now();
  int rc = std::system(cmd.c_str());
  if (rc != 0) std::cerr << "bench: command failed: " << cmd << "\n";
  return Ms(absl::Now() - t0);
}

// The physical floor of search-then-bind: libldap straight from this
// process, a service connection and a bind connection per caller.
double DirectAuthThroughput(const testing::Slapd& slapd, int callers, int users,
                            absl::Duration duration) {
  std::atomic<int64_t> ok{0};
  std::vector<std::thread> threads;
  absl::Time end = absl::Now() + duration;
  for (int t = 0; t < callers; ++t) {
    threads.emplace_back([&, t] {
      LDAP *svc = nullptr, *bind = nullptr;
      std::string uri = slapd.uri();
      ldap_initialize(&svc, uri.c_str());
      ldap_initialize(&bind, uri.c_str());
      int v3 = LDAP_VERSION3;
      ldap_set_option(svc, LDAP_OPT_PROTOCOL_VERSION, &v3);
      ldap_set_option(bind, LDAP_OPT_PROTOCOL_VERSION, &v3);
      berval cred{static_cast<ber_len_t>(strlen(testing::Slapd::kServicePassword)),
                  const_cast<char*>(testing::Slapd::kServicePassword)};
      ldap_sasl_bind_s(svc, testing::Slapd::kServiceDn, LDAP_SASL_SIMPLE, &cred, nullptr,
                       nullptr, nullptr);
      std::mt19937 rng(t);
      while (absl::Now() < end) {
        int i = 1 + static_cast<int>(rng() % users);
        std::string filter = absl::StrCat("(&(objectClass=inetOrgPerson)(uid=", UserName(i), "))");
        // The attributes dirbridge reads to return the user on success: the
        // same LDAP work on both sides of the ratio.
        char* attrs[] = {const_cast<char*>("uid"), const_cast<char*>("entryUUID"),
                         const_cast<char*>("mail"), const_cast<char*>("displayName"),
                         const_cast<char*>("memberOf"), const_cast<char*>("cn"),
                         const_cast<char*>("entryCSN"), nullptr};
        LDAPMessage* res = nullptr;
        if (ldap_search_ext_s(svc, slapd.options().suffix.c_str(), LDAP_SCOPE_SUBTREE,
                              filter.c_str(), attrs, 0, nullptr, nullptr, nullptr, 0,
                              &res) != LDAP_SUCCESS) {
          ldap_msgfree(res);
          continue;
        }
        LDAPMessage* e = ldap_first_entry(svc, res);
        char* dn = e ? ldap_get_dn(svc, e) : nullptr;
        std::string pw = "pw-" + UserName(i);
        berval p{static_cast<ber_len_t>(pw.size()), pw.data()};
        if (dn && ldap_sasl_bind_s(bind, dn, LDAP_SASL_SIMPLE, &p, nullptr, nullptr, nullptr) ==
                      LDAP_SUCCESS) {
          ++ok;
        }
        ldap_memfree(dn);
        ldap_msgfree(res);
      }
      ldap_unbind_ext(svc, nullptr, nullptr);
      ldap_unbind_ext(bind, nullptr, nullptr);
    });
  }
  for (auto& t : threads) t.join();
  return ok / absl::ToDoubleSeconds(duration);
}

double DirbridgeAuthThroughput(std::shared_ptr<grpc::Channel> channel, const std::string& token,
                               int callers, int users, absl::Duration duration) {
  std::atomic<int64_t> ok{0};
  std::vector<std::thread> threads;
  absl::Time end = absl::Now() + duration;
  for (int t = 0; t < callers; ++t) {
    threads.emplace_back([&, t] {
      auto stub = v1::Auth::NewStub(channel);
      std::mt19937 rng(1000 + t);
      while (absl::Now() < end) {
        int i = 1 + static_cast<int>(rng() % users);
        v1::AuthenticateRequest req;
        req.set_username(UserName(i));
        req.set_password("pw-" + UserName(i));
        v1::AuthenticateResponse resp;
        if (stub->Authenticate(Ctx(token).get(), req, &resp).ok() &&
            resp.result() == v1::AUTH_RESULT_OK) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return ok / absl::ToDoubleSeconds(duration);
}

}  // namespace dirbridge::bench
