// tests/bench: dirbridge measured against floors taken in the same run on
// the same machine. Prints a table and writes JSON (--json FILE).

#include <grpcpp/grpcpp.h>
#include <ldap.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crypto.h"
#include "dirbridge/v1/auth.grpc.pb.h"
#include "dirbridge/v1/keys.grpc.pb.h"
#include "dirbridge/v1/mappings.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/bench/bench_replicas.h"
#include "tests/bench/bench_sessions.h"
#include "tests/bench/bench_tenant.h"
#include "tests/bench/fake_connectors.h"
#include "tests/bench/measure.h"
#include "tests/bench/report.h"
#include "tests/harness/stack.h"

ABSL_FLAG(int, users, 100000, "Users in the directory (SearchUsers, ImportUsers).");
ABSL_FLAG(int, auth_users, 10000, "Users Authenticate picks from.");
ABSL_FLAG(int, concurrency, 32, "Concurrent Authenticate callers.");
ABSL_FLAG(int, sessions, 10000, "Idle connector sessions held by one cloud_svc.");
ABSL_FLAG(int, ekeys, 1000, "Users per GetEkeys call.");
ABSL_FLAG(int, rtt_calls, 2000, "Sequential calls per round-trip repeat.");
ABSL_FLAG(int, repeats, 3, "Repeats of every figure.");
ABSL_FLAG(absl::Duration, auth_duration, absl::Seconds(2), "Length of one throughput repeat.");
ABSL_FLAG(int, auth_repeats, 7,
          "Repeats of the Authenticate figure: short floor/ours pairs, so that a slow spell "
          "of a shared machine falls on both sides of one ratio.");
ABSL_FLAG(std::string, json, "", "Also write the results here as JSON.");
ABSL_FLAG(std::vector<std::string>, figures,
          std::vector<std::string>({"rtt", "forward", "auth", "search", "import", "import_pg",
                                    "ekeys", "sessions"}),
          "Which figures to measure.");

namespace dirbridge::bench {
namespace {

using testing::Ctx;
using Clock = absl::Time;

struct World {
  std::unique_ptr<testing::Slapd> slapd;
  testing::CloudSvc cloud;
};

absl::Status Run() {
  const int users = absl::GetFlag(FLAGS_users), repeats = absl::GetFlag(FLAGS_repeats);
  const int conc = absl::GetFlag(FLAGS_concurrency), sessions = absl::GetFlag(FLAGS_sessions);
  const int auth_users = std::min(users, absl::GetFlag(FLAGS_auth_users));
  struct rlimit nofile{1 << 18, 1 << 18};
  if (setrlimit(RLIMIT_NOFILE, &nofile) != 0) {
    getrlimit(RLIMIT_NOFILE, &nofile);
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }

  World w;
  testing::SlapdOptions so;
  so.users = users;
  so.groups = 10;
  so.ous = 10;
  w.slapd = std::make_unique<testing::Slapd>(so);
  absl::Time t0 = absl::Now();
  if (absl::Status st = w.slapd->Start(); !st.ok()) return st;
  std::cerr << "bench: slapd loaded " << users << " users in "
            << absl::FormatDuration(absl::Now() - t0) << "\n";
  testing::CloudSvc::Options co;
  co.heartbeat = absl::Seconds(10);
  // One tenant holds every idle session of the sessions figure.
  co.extra_flags = {"--log_level", "warn", "--auth_failures_per_tenant", "100000000",
                    "--max_connectors_per_tenant", "100000"};
  if (absl::Status st = w.cloud.Start(co); !st.ok()) return st;
  absl::StatusOr<TenantStack> main = NewTenant(w.cloud, *w.slapd, "bench", conc);
  if (!main.ok()) return main.status();
  const std::string& token = main->tenant.token;
  auto channel = w.cloud.channel();
  std::vector<Figure> figs;

  auto want = [](const char* f) {
    auto v = absl::GetFlag(FLAGS_figures);
    return std::find(v.begin(), v.end(), f) != v.end();
  };
  // 1. Round trip of a trivial call, sequential.
  if (want("rtt")) {
    Figure p50{"tunnel round trip, p50", "ms", "direct unary gRPC, p50", "<= 2.3x"};
    Figure p99{"tunnel round trip, p99", "ms", "direct unary gRPC, p99", "-"};
    auto health = grpc::health::v1::Health::NewStub(channel);
    auto admin = v1::Admin::NewStub(channel);
    for (int r = 0; r < repeats; ++r) {
      std::vector<double> ours, floor;
      for (int i = 0; i < absl::GetFlag(FLAGS_rtt_calls); ++i) {
        grpc::ClientContext hc;
        grpc::health::v1::HealthCheckResponse hr;
        absl::Time a = absl::Now();
        health->Check(&hc, {}, &hr);
        floor.push_back(Ms(absl::Now() - a));
        v1::PingConnectorResponse pr;
        a = absl::Now();
        admin->PingConnector(Ctx(token).get(), {}, &pr);
        ours.push_back(Ms(absl::Now() - a));
      }
      p50.values.push_back(Median(ours));
      p50.floors.push_back(Median(floor));
      p50.ratios.push_back(Median(ours) / Median(floor));
      p99.values.push_back(Pct(ours, 0.99));
      p99.floors.push_back(Pct(floor, 0.99));
      p99.ratios.push_back(Pct(ours, 0.99) / Pct(floor, 0.99));
    }
    figs.push_back(p50);
    figs.push_back(p99);
  }

  // 1b. The same call through a replica that does not hold the connector:
  // one mutually authenticated peer hop more.
  if (want("forward")) {
    Figure f{"forwarded round trip (2 replicas), p50", "ms", "same call on the holder, p50",
             "<= 1.5x"};
    std::vector<double> held, forwarded;
    absl::Status st = ForwardedRoundTrips(*w.slapd, repeats, absl::GetFlag(FLAGS_rtt_calls) / 2,
                                          &held, &forwarded);
    if (!st.ok()) return st;
    for (size_t r = 0; r < held.size(); ++r) {
      f.values.push_back(forwarded[r]);
      f.floors.push_back(held[r]);
      f.ratios.push_back(forwarded[r] / held[r]);
    }
    figs.push_back(f);
  }

  // 2. Authenticate throughput.
  if (want("auth")) {
    Figure f{absl::StrCat("Authenticate, ", conc, " callers"), "logins/s",
             "libldap search-then-bind, pooled", ">= 0.8x"};
    const pid_t slapd_pid = w.slapd->pid(), cloud_pid = w.cloud.process().pid(),
                conn_pid = main->connector->process().pid();
    CpuPerOp floor_cpu({"slapd", "client"}, {slapd_pid, 0});
    CpuPerOp our_cpu({"slapd", "connector", "cloud", "load"},
                     {slapd_pid, conn_pid, cloud_pid, 0});
    const absl::Duration length = absl::GetFlag(FLAGS_auth_duration);
    const double secs = absl::ToDoubleSeconds(length);
    // Unmeasured: fills the connector's LDAP pools, as the floor's threads
    // connect inside their own window.
    DirbridgeAuthThroughput(channel, token, conc, auth_users, absl::Milliseconds(500));
    for (int r = 0; r < absl::GetFlag(FLAGS_auth_repeats); ++r) {
      double floor = floor_cpu.Measure([&] {
        return DirectAuthThroughput(*w.slapd, conc, auth_users, length) * secs;
      }) / secs;
      double ours = our_cpu.Measure([&] {
        return DirbridgeAuthThroughput(channel, token, conc, auth_users, length) * secs;
      }) / secs;
      f.values.push_back(ours);
      f.floors.push_back(floor);
      f.ratios.push_back(ours / floor);
    }
    f.note = absl::StrCat("CPU us/login: floor ", floor_cpu.Note(0), "; ours ", our_cpu.Note(0));
    figs.push_back(f);
  }

  // 3. SearchUsers of the whole directory vs ldapsearch of the same.
  std::string ldapsearch = absl::StrCat(
      "ldapsearch -LLL -x -o ldif-wrap=no -H ", w.slapd->uri(), " -D ", testing::Slapd::kServiceDn,
      " -w ", testing::Slapd::kServicePassword, " -b ", so.suffix,
      " -E pr=1000/noprompt '(|(objectClass=inetOrgPerson)(objectClass=posixAccount))' "
      "uid entryUUID mail displayName cn memberOf > /dev/null");
  std::vector<double> ldapsearch_ms;
  if (want("search") || want("import") || want("import_pg")) {
    Figure f{absl::StrCat("SearchUsers stream, ", users, " users"), "ms", "ldapsearch -E pr=1000",
             "<= 1.5x"};
    auto dir = v1::Directory::NewStub(channel);
    const pid_t slapd_pid = w.slapd->pid(), cloud_pid = w.cloud.process().pid(),
                conn_pid = main->connector->process().pid();
    CpuPerOp floor_cpu({"slapd", "ldapsearch"}, {slapd_pid, CpuPerOp::kExitedChildren});
    CpuPerOp our_cpu({"slapd", "connector", "cloud", "reader"},
                     {slapd_pid, conn_pid, cloud_pid, 0});
    for (int r = 0; r < repeats; ++r) {
      double floor = 0;
      floor_cpu.Measure([&] {
        floor = TimeCommand(ldapsearch);
        return users;
      });
      ldapsearch_ms.push_back(floor);
      double ours = 0;
      absl::Status failed;
      our_cpu.Measure([&] {
        v1::SearchUsersRequest req;
        req.set_base_dn(so.suffix);
        req.set_page_size(1000);
        auto ctx = Ctx(token, absl::Minutes(10));
        absl::Time a = absl::Now();
        auto reader = dir->SearchUsers(ctx.get(), req);
        v1::SearchUsersResponse chunk;
        int64_t n = 0;
        while (reader->Read(&chunk)) n += chunk.users_size();
        grpc::Status st = reader->Finish();
        ours = Ms(absl::Now() - a);
        if (!st.ok() || n != users) {
          failed = absl::InternalError(
              absl::StrCat("SearchUsers got ", n, ": ", st.error_message()));
        }
        return n;
      });
      if (!failed.ok()) return failed;
      f.values.push_back(ours);
      f.floors.push_back(floor);
      f.ratios.push_back(ours / floor);
    }
    f.note = absl::StrCat("CPU us/user: floor ", floor_cpu.Note(1), "; ours ", our_cpu.Note(1));
    figs.push_back(f);
  }

  // 4. ImportUsers, full first run, with memory at 10% and 100% of it.
  if (want("import")) {
    Figure f{absl::StrCat("ImportUsers, ", users, " users, first run"), "ms",
             "ldapsearch -E pr=1000", "<= 2.5x"};
    Figure rss_cloud{"cloud_svc peak RSS, full / 10% import", "ratio", "-", "<= 1.10"};
    Figure rss_conn{"connector_svc peak RSS, full / 10% import", "ratio", "-", "<= 1.10"};
    for (int r = 0; r < repeats; ++r) {
      absl::StatusOr<TenantStack> t = NewTenant(w.cloud, *w.slapd, absl::StrCat("import", r), conc);
      if (!t.ok()) return t.status();
      auto maps = v1::Mappings::NewStub(channel);
      auto make = [&](const std::string& base, std::vector<std::string> ous) {
        v1::CreateMappingRequest req;
        req.set_name("m");
        req.set_base_dn(base);
        for (auto& o : ous) req.add_ou_dns(o);
        v1::Mapping m;
        maps->CreateMapping(Ctx(t->tenant.token).get(), req, &m);
        return m.mapping_id();
      };
      auto import = [&](const std::string& id) {
        v1::ImportUsersRequest req;
        req.set_mapping_id(id);
        v1::ImportReport rep;
        grpc::Status st = maps->ImportUsers(Ctx(t->tenant.token, absl::Minutes(20)).get(), req, &rep);
        if (!st.ok()) std::cerr << "bench: import failed: " << st.error_message() << "\n";
        return rep;
      };
      pid_t cloud_pid = w.cloud.process().pid(), conn_pid = t->connector->process().pid();
      import(make(so.suffix, {absl::StrCat("ou=dept0,ou=people,", so.suffix)}));
      double cloud_small = ProcKb(cloud_pid, "VmHWM"), conn_small = ProcKb(conn_pid, "VmHWM");
      std::string full = make(so.suffix, {});
      // The 10% run already stored a tenth: this run times the whole
      // directory in a fresh tenant only on the first repeat's tenant.
      absl::Time a = absl::Now();
      v1::ImportReport rep = import(full);
      double ours = Ms(absl::Now() - a);
      double floor = Median(ldapsearch_ms);
      f.values.push_back(ours);
      f.floors.push_back(floor);
      f.ratios.push_back(ours / floor);
      double cloud_full = ProcKb(cloud_pid, "VmHWM"), conn_full = ProcKb(conn_pid, "VmHWM");
      if (r == 0) {  // cloud_svc's high-water mark spans the whole run
        rss_cloud.values.push_back(cloud_full / cloud_small);
        rss_cloud.ratios.push_back(cloud_full / cloud_small);
        rss_cloud.note = absl::StrFormat("%.0f MiB / %.0f MiB", cloud_full / 1024, cloud_small / 1024);
      }
      rss_conn.values.push_back(conn_full / conn_small);
      rss_conn.ratios.push_back(conn_full / conn_small);
      rss_conn.note = absl::StrFormat("%.0f MiB / %.0f MiB", conn_full / 1024, conn_small / 1024);
      f.note = absl::StrCat("added ", rep.added(), " + unchanged ", rep.unchanged());
      t->connector->Kill();
    }
    figs.push_back(f);
    figs.push_back(rss_cloud);
    figs.push_back(rss_conn);
  }

  // 4b. The same import into PostgreSQL (a cloud_svc of its own on the
  // harness's server), against the same ldapsearch floor.
  if (want("import_pg")) {
    if (ldapsearch_ms.empty()) {
      return absl::FailedPreconditionError("--figures import_pg needs search or import too");
    }
    Figure f{absl::StrCat("ImportUsers into PostgreSQL, ", users, " users"), "ms",
             "ldapsearch -E pr=1000", "<= 3x"};
    for (int r = 0; r < repeats; ++r) {
      v1::ImportReport rep;
      absl::StatusOr<double> ours = PostgresImportMs(*w.slapd, so.suffix, conc, &rep);
      if (!ours.ok()) return ours.status();
      f.values.push_back(*ours);
      f.floors.push_back(Median(ldapsearch_ms));
      f.ratios.push_back(*ours / Median(ldapsearch_ms));
      f.note = absl::StrCat("added ", rep.added(), " + unchanged ", rep.unchanged());
    }
    figs.push_back(f);
  }

  // 5. GetEkeys of a batch.
  if (want("ekeys")) {
    Figure f{absl::StrCat("GetEkeys, ", absl::GetFlag(FLAGS_ekeys), " users, p50"), "ms", "-",
             "<= 50 ms"};
    auto keys = v1::Keys::NewStub(channel);
    v1::GetEkeysRequest req;
    for (int i = 0; i < absl::GetFlag(FLAGS_ekeys); ++i) {
      v1::ProvisionEkeyRequest p;
      p.set_user_id(absl::StrCat("ekey-user-", i));
      v1::ProvisionEkeyResponse pr;
      keys->ProvisionEkey(Ctx(token).get(), p, &pr);
      req.add_user_ids(p.user_id());
    }
    req.set_recipient_public_key(crypto::GenerateX25519()->public_key);
    for (int r = 0; r < repeats; ++r) {
      std::vector<double> lat;
      for (int i = 0; i < 10; ++i) {
        v1::GetEkeysResponse resp;
        absl::Time a = absl::Now();
        grpc::Status st = keys->GetEkeys(Ctx(token, absl::Seconds(30)).get(), req, &resp);
        lat.push_back(Ms(absl::Now() - a));
        if (!st.ok()) return absl::InternalError(st.error_message());
      }
      f.values.push_back(Median(lat));
    }
    figs.push_back(f);
  }

  // 6. Idle sessions.
  if (want("sessions")) {
    if (absl::Status st = IdleSessions(w.cloud, sessions, repeats, &figs); !st.ok()) return st;
  }

  RunInfo info;
  info.sizes = absl::StrCat("users=", users, " auth_users=", auth_users, " concurrency=", conc,
                            " sessions=", sessions, " ekeys=", absl::GetFlag(FLAGS_ekeys),
                            " repeats=", repeats);
  Report(figs, info, absl::GetFlag(FLAGS_json));
  return absl::OkStatus();
}

}  // namespace
}  // namespace dirbridge::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "dirbridge benchmarks: figures and their floors measured in the same run.");
  absl::ParseCommandLine(argc, argv);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::Status st = dirbridge::bench::Run();
  if (!st.ok()) {
    std::cerr << "bench: " << st.message() << "\n";
    return 1;
  }
  return 0;
}
