// cloud_svc on a real PostgreSQL (--store=postgresql://…), as a process:
// what it is told it keeps across a restart, and the password stays out of
// its command line and its log.

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/postgres.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string CommandLineOf(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return absl::StrReplaceAll(s.str(), {{std::string(1, '\0'), " "}});
}

class PostgresE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Postgres*> pg = Postgres::Shared();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *pg;
    absl::StatusOr<std::string> db = pg_->NewDatabase();
    ASSERT_TRUE(db.ok()) << db.status();
    CloudSvc::Options options;
    options.extra_flags = {absl::StrCat("--store=", pg_->uri(*db)),
                           absl::StrCat("--store_password_file=", pg_->password_file())};
    absl::Status st = cloud_.Start(options);
    ASSERT_TRUE(st.ok()) << st << "\n" << cloud_.process().Log();
  }

  Postgres* pg_ = nullptr;
  CloudSvc cloud_;
};

TEST_F(PostgresE2eTest, TenantsAndConnectorsOutliveARestart) {
  absl::StatusOr<Tenant> tenant = cloud_.CreateTenant("acme");
  ASSERT_TRUE(tenant.ok()) << tenant.status();
  v1::CreateConnectorRequest creq;
  creq.set_name("dc-east");
  v1::Connector made;
  grpc::Status st = cloud_.admin().CreateConnector(Ctx(tenant->token).get(), creq, &made);
  ASSERT_TRUE(st.ok()) << st.error_message();

  ASSERT_TRUE(cloud_.Restart().ok()) << cloud_.process().Log();
  // The token still names the tenant, and the connector is still there:
  // both came back from PostgreSQL, not from the data dir.
  absl::StatusOr<v1::Connector> kept = cloud_.GetConnector(tenant->token, made.connector_id());
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->name(), "dc-east");
  EXPECT_FALSE(std::ifstream(cloud_.data_dir() + "/cloud.db").good()) << "no SQLite file";
}

TEST_F(PostgresE2eTest, ThePasswordIsInNoCommandLineAndNoLog) {
  ASSERT_TRUE(cloud_.CreateTenant("acme").ok());
  EXPECT_THAT(CommandLineOf(cloud_.process().pid()), HasSubstr("--store=postgresql://"));
  EXPECT_THAT(CommandLineOf(cloud_.process().pid()), Not(HasSubstr(pg_->password())));
  EXPECT_THAT(cloud_.process().Log(), HasSubstr("event=store_opened"));
  EXPECT_THAT(cloud_.process().Log(), Not(HasSubstr(pg_->password())));
}

}  // namespace
}  // namespace dirbridge::testing
