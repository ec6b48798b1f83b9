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
  for (int k = 0; k < 8; ++k) {
    reg.emplace_back([&] {
      auto admin = v1::Admin::NewStub(channel);
      auto tunnel = v1::ConnectorTunnel::NewStub(grpc::CreateChannel(
          cloud.tunnel_address(), grpc::InsecureChannelCredentials()));
      for (int i = next++; i < sessions; i = next++) {
        v1::CreateConnectorRequest c;
        c.set_name(absl::StrCat("idle-", i));
        v1::Connector conn;
        admin->CreateConnector(Ctx(t->token).get(), c, &conn);
        v1::GetRegistrationKeyRequest kr;
        kr.set_connector_id(conn.connector_id());
        v1::GetRegistrationKeyResponse key;
        admin->GetRegistrationKey(Ctx(t->token).get(), kr, &key);
        v1::RegisterRequest rr;
        rr.set_registration_key(key.registration_key());
        v1::RegisterResponse resp;
        grpc::ClientContext ctx;
        tunnel->Register(&ctx, rr, &resp);
        creds[i] = resp.credential();
        ids[i] = resp.connector_id();
      }
    });
  }
  for (auto& th : reg) th.join();
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
  fakes.CloseAll();
  figs->push_back(per);
  figs->push_back(routed);
  return absl::OkStatus();
}

}  // namespace dirbridge::bench
