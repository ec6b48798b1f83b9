#include "tests/bench/bench_tenant.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tests/bench/measure.h"
#include "tests/harness/postgres.h"

namespace dirbridge::bench {

absl::StatusOr<TenantStack> NewTenant(testing::CloudSvc& cloud, const testing::Slapd& slapd,
                                      const std::string& name, int concurrency) {
  TenantStack t;
  absl::StatusOr<testing::Tenant> tenant = cloud.CreateTenant(name);
  if (!tenant.ok()) return tenant.status();
  t.tenant = *tenant;
  t.connector = std::make_unique<testing::ConnectorSvc>(&cloud, &slapd);
  absl::Status st = t.connector->Register(t.tenant.token, name + "-dc");
  if (!st.ok()) return st;
  testing::ConnectorSvc::Ldap ldap;
  ldap.uris = {slapd.uri()};
  ldap.pool_size = concurrency;
  ldap.worker_threads = std::max(16, concurrency * 2);
  t.connector->SetLdap(ldap);
  st = t.connector->Run({"--log_level", "warn"});
  if (!st.ok()) return st;
  if (!cloud.WaitForStatus(t.tenant.token, t.connector->connector_id(),
                           v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(20))) {
    return absl::UnavailableError("bench connector did not connect");
  }
  return t;
}

absl::StatusOr<double> PostgresImportMs(const testing::Slapd& slapd, const std::string& suffix,
                                        int concurrency, v1::ImportReport* report) {
  absl::StatusOr<testing::Postgres*> pg = testing::Postgres::Shared();
  if (!pg.ok()) return pg.status();
  absl::StatusOr<std::string> db = (*pg)->NewDatabase();
  if (!db.ok()) return db.status();
  testing::CloudSvc cloud;
  testing::CloudSvc::Options options;
  options.heartbeat = absl::Seconds(10);
  options.extra_flags = {"--log_level", "warn", absl::StrCat("--store=", (*pg)->uri(*db)),
                         absl::StrCat("--store_password_file=", (*pg)->password_file())};
  if (absl::Status st = cloud.Start(options); !st.ok()) return st;
  absl::StatusOr<TenantStack> t = NewTenant(cloud, slapd, "import-pg", concurrency);
  if (!t.ok()) return t.status();
  auto maps = v1::Mappings::NewStub(cloud.channel());
  v1::CreateMappingRequest mreq;
  mreq.set_name("all");
  mreq.set_base_dn(suffix);
  v1::Mapping m;
  grpc::Status st = maps->CreateMapping(testing::Ctx(t->tenant.token).get(), mreq, &m);
  if (!st.ok()) return absl::InternalError(absl::StrCat("CreateMapping: ", st.error_message()));
  v1::ImportUsersRequest ireq;
  ireq.set_mapping_id(m.mapping_id());
  const absl::Time start = absl::Now();
  st = maps->ImportUsers(testing::Ctx(t->tenant.token, absl::Minutes(20)).get(), ireq, report);
  const double ms = Ms(absl::Now() - start);
  t->connector->Kill();
  if (!st.ok()) return absl::InternalError(absl::StrCat("ImportUsers: ", st.error_message()));
  return ms;
}

}  // namespace dirbridge::bench
