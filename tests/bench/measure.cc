#include "tests/bench/measure.h"

#include <ldap.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "connector_svc/ldap/attribute_map.h"
#include "connector_svc/ldap/user_filter.h"
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

double CpuSeconds(pid_t pid) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/stat") : absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which may hold spaces: state is field 3,
  // utime and stime are fields 14 and 15.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::atof(field.c_str());
    if (i == 15) stime = std::atof(field.c_str());
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double ChildCpuSeconds() {
  struct rusage ru {};
  getrusage(RUSAGE_CHILDREN, &ru);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

CpuPerOp::CpuPerOp(std::vector<std::string> names, std::vector<pid_t> pids)
    : names_(std::move(names)), pids_(std::move(pids)), samples_(pids_.size()) {}

std::vector<double> CpuPerOp::Now() const {
  std::vector<double> out;
  for (pid_t pid : pids_) {
    out.push_back(pid == kExitedChildren ? ChildCpuSeconds() : CpuSeconds(pid));
  }
  return out;
}

std::string CpuPerOp::Note(int decimals) const {
  std::string out;
  for (size_t i = 0; i < names_.size(); ++i) {
    std::vector<double> v = samples_[i];
    std::sort(v.begin(), v.end());
    double median = v.empty() ? 0 : v[v.size() / 2];
    absl::StrAppend(&out, i ? " + " : "", names_[i], " ",
                    absl::StrFormat("%.*f", decimals, median));
  }
  return out;
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
// process, a service connection and a bind connection per caller, doing the
// LDAP work dirbridge does for a login: the same filter (UserLookupFilter of
// the openldap profile), the same attributes, the same password-policy
// control on the bind.
double DirectAuthThroughput(const testing::Slapd& slapd, int callers, int users,
                            absl::Duration duration) {
  const connector::AttributeMap map =
      *connector::ResolveAttributeMap(connector::LdapProfile::kOpenLdap, {});
  const std::vector<std::string> attributes = map.UserAttributes();
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
      std::vector<char*> attrs;
      for (const std::string& a : attributes) attrs.push_back(const_cast<char*>(a.c_str()));
      attrs.push_back(nullptr);
      std::mt19937 rng(t);
      while (absl::Now() < end) {
        int i = 1 + static_cast<int>(rng() % users);
        std::string filter = *connector::UserLookupFilter(map, UserName(i));
        LDAPMessage* res = nullptr;
        if (ldap_search_ext_s(svc, slapd.options().suffix.c_str(), LDAP_SCOPE_SUBTREE,
                              filter.c_str(), attrs.data(), 0, nullptr, nullptr, nullptr, 0,
                              &res) != LDAP_SUCCESS) {
          ldap_msgfree(res);
          continue;
        }
        LDAPMessage* e = ldap_first_entry(svc, res);
        char* dn = e ? ldap_get_dn(svc, e) : nullptr;
        std::string pw = "pw-" + UserName(i);
        berval p{static_cast<ber_len_t>(pw.size()), pw.data()};
        LDAPControl* ppolicy = nullptr;
        ldap_create_passwordpolicy_control(bind, &ppolicy);
        LDAPControl* ctrls[] = {ppolicy, nullptr};
        if (dn && ldap_sasl_bind_s(bind, dn, LDAP_SASL_SIMPLE, &p, ctrls, nullptr, nullptr) ==
                      LDAP_SUCCESS) {
          ++ok;
        }
        ldap_control_free(ppolicy);
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

namespace {

// One of the concurrent callers: it issues its next login from the
// completion of the previous one, so the load generator keeps `callers`
// calls in flight without a thread each blocked in a synchronous stub (that
// cost the shared 2 cores more than the libldap client of the floor does).
class AuthCaller {
 public:
  AuthCaller(v1::Auth::Stub* stub, const std::string& token, int users, uint32_t seed,
             absl::Time end, std::atomic<int64_t>* ok)
      : stub_(stub), token_(token), users_(users), rng_(seed), end_(end), ok_(ok) {}

  void Start() { Next(); }

  void Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

 private:
  void Next() {
    if (absl::Now() >= end_) {
      absl::MutexLock lock(&mu_);
      done_ = true;
      return;
    }
    int i = 1 + static_cast<int>(rng_() % users_);
    request_.set_username(UserName(i));
    request_.set_password("pw-" + UserName(i));
    response_.Clear();
    context_ = testing::Ctx(token_);
    stub_->async()->Authenticate(context_.get(), &request_, &response_,
                                 [this](grpc::Status status) {
                                   if (status.ok() && response_.result() == v1::AUTH_RESULT_OK) {
                                     ++*ok_;
                                   }
                                   Next();
                                 });
  }

  v1::Auth::Stub* stub_;
  const std::string& token_;
  const int users_;
  std::mt19937 rng_;
  const absl::Time end_;
  std::atomic<int64_t>* ok_;
  std::unique_ptr<grpc::ClientContext> context_;
  v1::AuthenticateRequest request_;
  v1::AuthenticateResponse response_;
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

double DirbridgeAuthThroughput(std::shared_ptr<grpc::Channel> channel, const std::string& token,
                               int callers, int users, absl::Duration duration) {
  std::atomic<int64_t> ok{0};
  auto stub = v1::Auth::NewStub(channel);
  absl::Time end = absl::Now() + duration;
  std::vector<std::unique_ptr<AuthCaller>> all;
  for (int t = 0; t < callers; ++t) {
    all.push_back(std::make_unique<AuthCaller>(stub.get(), token, users, 1000 + t, end, &ok));
  }
  for (auto& c : all) c->Start();
  for (auto& c : all) c->Wait();
  return ok / absl::ToDoubleSeconds(duration);
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

}  // namespace dirbridge::bench
