#include "tests/bench/bench_replicas.h"

#include "absl/strings/str_cat.h"
#include "dirbridge/v1/admin.grpc.pb.h"
#include "tests/bench/measure.h"
#include "tests/harness/postgres.h"
#include "tests/harness/stack.h"

namespace dirbridge::bench {

absl::Status ForwardedRoundTrips(const testing::Slapd& slapd, int repeats, int calls,
                                 std::vector<double>* held, std::vector<double>* forwarded) {
  absl::StatusOr<testing::Postgres*> pg = testing::Postgres::Shared();
  if (!pg.ok()) return pg.status();
  absl::StatusOr<std::string> db = (*pg)->NewDatabase();
  if (!db.ok()) return db.status();
  testing::CloudSvc replicas[2];
  for (int i = 0; i < 2; ++i) {
    testing::CloudSvc::Options o;
    o.tls = true;
    o.heartbeat = absl::Seconds(10);
    o.replica_of = i == 0 ? nullptr : &replicas[0];
    o.extra_flags = {"--log_level", "warn", "--store", (*pg)->uri(*db), "--store_password_file",
                     (*pg)->password_file(), "--peer_addr", "127.0.0.1:0", "--replica_id",
                     absl::StrCat("bench-r", i)};
    if (absl::Status st = replicas[i].Start(o); !st.ok()) return st;
  }
  absl::StatusOr<testing::Tenant> tenant = replicas[0].CreateTenant("forward");
  if (!tenant.ok()) return tenant.status();
  testing::ConnectorSvc connector(&replicas[0], &slapd);
  if (absl::Status st = connector.Register(tenant->token, "held-by-r0"); !st.ok()) return st;
  if (absl::Status st = testing::RunUntilConnected(replicas[0], tenant->token, connector,
                                                   {"--log_level", "warn"});
      !st.ok()) {
    return st;
  }
  if (!replicas[1].WaitForStatus(tenant->token, connector.connector_id(),
                                 v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(10))) {
    return absl::UnavailableError("the second replica never saw the connector");
  }
  auto via_holder = v1::Admin::NewStub(replicas[0].channel());
  auto via_other = v1::Admin::NewStub(replicas[1].channel());
  auto ping = [&](v1::Admin::Stub& stub) -> absl::StatusOr<double> {
    v1::PingConnectorResponse resp;
    absl::Time a = absl::Now();
    grpc::Status st = stub.PingConnector(testing::Ctx(tenant->token).get(), {}, &resp);
    if (!st.ok()) return absl::InternalError(absl::StrCat("PingConnector: ", st.error_message()));
    return Ms(absl::Now() - a);
  };
  for (int i = 0; i < 200; ++i) {  // warm both channels and the peer hop
    if (absl::StatusOr<double> w = ping(*via_other); !w.ok()) return w.status();
  }
  for (int r = 0; r < repeats; ++r) {
    std::vector<double> h, f;
    for (int i = 0; i < calls; ++i) {
      absl::StatusOr<double> a = ping(*via_holder);
      absl::StatusOr<double> b = ping(*via_other);
      if (!a.ok()) return a.status();
      if (!b.ok()) return b.status();
      h.push_back(*a);
      f.push_back(*b);
    }
    held->push_back(Median(h));
    forwarded->push_back(Median(f));
  }
  connector.Kill();
  return absl::OkStatus();
}

}  // namespace dirbridge::bench
