#include "tests/bench/bench_sessions.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dirbridge/v1/admin.grpc.pb.h"
#include "dirbridge/v1/tunnel.grpc.pb.h"
#include "tests/bench/fake_connectors.h"
#include "tests/bench/measure.h"

namespace dirbridge::bench {

using testing::Ctx;

namespace {

// cloud_svc SIGKILLed and started again on the same data dir and ports with
// every connector attached: how long until all are back, at connector_svc's
// default backoff, and what the storm costs the cloud. Once per run: it is
// the most expensive figure, and its spread is the backoff's jitter.
absl::Status ReconnectStorm(testing::CloudSvc& cloud, FakeConnectors& fakes, int sessions,
                            std::vector<Figure>* figs) {
  Figure back{absl::StrCat("reconnect storm: ", sessions, " connectors back after SIGKILL"), "s",
              "-", "<= 30 s"};
  Figure cpu{"cloud_svc CPU from its start to the last one back", "s", "-", "-"};
  int refused_before = fakes.refused();
  absl::Time killed = absl::Now();
  if (absl::Status st = cloud.Restart(); !st.ok()) return st;  // SIGKILL, then start again
  absl::Duration restart = absl::Now() - killed;
  // Back: on a stream the restarted cloud accepted.
  bool all_back = testing::WaitFor([&] { return fakes.ConnectedSince(killed) == sessions; },
                                   absl::Minutes(5), absl::Milliseconds(20));
  absl::Duration took = absl::Now() - killed;
  double cloud_cpu = CpuSeconds(cloud.process().pid());
  if (!all_back) {
    return absl::DeadlineExceededError(absl::StrCat(
        "reconnect storm: only ", fakes.ConnectedSince(killed), " of ", sessions, " back after ",
        absl::FormatDuration(took)));
  }
  back.values.push_back(absl::ToDoubleSeconds(took));
  cpu.values.push_back(cloud_cpu);
  back.note = absl::StrFormat("restart %.1f s; refused %d (a connector that gives up)",
                              absl::ToDoubleSeconds(restart), fakes.refused() - refused_before);
  cpu.note = absl::StrFormat("%.0f us per reconnect", cloud_cpu * 1e6 / sessions);
  figs->push_back(back);
  figs->push_back(cpu);
  if (fakes.refused() != refused_before) {
    return absl::InternalError("reconnect storm: the restarted cloud refused some connectors");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status IdleSessions(testing::CloudSvc& cloud, int sessions, int repeats,
                          std::vector<Figure>* figs) {
  auto channel = cloud.channel();
  Figure per{absl::StrCat(sessions, " idle sessions: cloud_svc RSS per session"), "KiB", "-",
             "<= 64 KiB"};
  Figure routed{"routed call to a random one of them, p99", "ms", "-", "< 20 ms"};
  absl::StatusOr<testing::Tenant> t = cloud.CreateTenant("sessions");
  if (!t.ok()) return t.status();
  std::vector<std::string> creds(sessions), ids(sessions);
  std::vector<std::thread> reg;
  std::atomic<int> next{0};
  absl::Mutex failed_mu;
  std::string failed;  // the first registration that went wrong
  for (int k = 0; k < 8; ++k) {
    reg.emplace_back([&] {
      auto admin = v1::Admin::NewStub(channel);
      auto tunnel = v1::ConnectorTunnel::NewStub(grpc::CreateChannel(
          cloud.tunnel_address(), grpc::InsecureChannelCredentials()));
      for (int i = next++; i < sessions; i = next++) {
        v1::CreateConnectorRequest c;
        c.set_name(absl::StrCat("idle-", i));
        v1::Connector conn;
        grpc::Status st = admin->CreateConnector(Ctx(t->token).get(), c, &conn);
        v1::GetRegistrationKeyRequest kr;
        kr.set_connector_id(conn.connector_id());
        v1::GetRegistrationKeyResponse key;
        if (st.ok()) st = admin->GetRegistrationKey(Ctx(t->token).get(), kr, &key);
        v1::RegisterRequest rr;
        rr.set_registration_key(key.registration_key());
        v1::RegisterResponse resp;
        grpc::ClientContext ctx;
        if (st.ok()) st = tunnel->Register(&ctx, rr, &resp);
        if (!st.ok()) {
          absl::MutexLock lock(&failed_mu);
          if (failed.empty()) failed = absl::StrCat("connector ", i, ": ", st.error_message());
          return;
        }
        creds[i] = resp.credential();
        ids[i] = resp.connector_id();
      }
    });
  }
  for (auto& th : reg) th.join();
  if (!failed.empty()) return absl::InternalError(absl::StrCat("registering: ", failed));
  pid_t cloud_pid = cloud.process().pid();
  int64_t before = ProcKb(cloud_pid, "VmRSS");
  FakeConnectors fakes;
  if (absl::Status st = fakes.Open(cloud.tunnel_address(), creds); !st.ok()) return st;
  if (!testing::WaitFor([&] { return fakes.accepted() == sessions; }, absl::Minutes(3))) {
    return absl::DeadlineExceededError(
        absl::StrCat("only ", fakes.accepted(), " of ", sessions, " sessions accepted"));
  }
  absl::SleepFor(absl::Seconds(12));  // a heartbeat round for every session
  int64_t after = ProcKb(cloud_pid, "VmRSS");
  auto admin = v1::Admin::NewStub(channel);
  std::mt19937 rng(7);
  for (int r = 0; r < repeats; ++r) {
    per.values.push_back(static_cast<double>(after - before) / sessions);
    std::vector<double> lat;
    for (int i = 0; i < 1000; ++i) {
      v1::PingConnectorRequest req;
      req.set_connector_id(ids[rng() % sessions]);
      v1::PingConnectorResponse resp;
      absl::Time a = absl::Now();
      grpc::Status st = admin->PingConnector(Ctx(t->token).get(), req, &resp);
      lat.push_back(Ms(absl::Now() - a));
      if (!st.ok()) return absl::InternalError(st.error_message());
    }
    routed.values.push_back(Pct(lat, 0.99));
  }
  per.note = absl::StrFormat("RSS %.0f -> %.0f MiB", before / 1024.0, after / 1024.0);
  figs->push_back(per);
  figs->push_back(routed);
  absl::Status storm = ReconnectStorm(cloud, fakes, sessions, figs);
  fakes.CloseAll();
  return storm;
}

}  // namespace dirbridge::bench
