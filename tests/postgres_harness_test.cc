// The PostgreSQL the tests run on: what tests/harness/postgres.h promises.

#include "tests/harness/postgres.h"

#include <sys/stat.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"

namespace dirbridge::testing {
namespace {

constexpr char kPsql[] = "/usr/lib/postgresql/15/bin/psql";

// psql over TCP as the test role, with the password from `passfile`.
absl::StatusOr<std::string> PsqlTcp(const Postgres& pg, const std::string& db,
                                    const std::string& passfile, const std::string& sql,
                                    int* code) {
  return RunCommand({kPsql, "-X", "-A", "-t", "-w", "-d", pg.uri(db), "-c", sql}, code,
                    {absl::StrCat("PGPASSFILE=", passfile), "PGCONNECT_TIMEOUT=5"});
}

TEST(PostgresHarnessTest, TcpTakesThePasswordAndNothingElse) {
  absl::StatusOr<Postgres*> pg = Postgres::Shared();
  ASSERT_TRUE(pg.ok()) << pg.status();
  EXPECT_THAT((*pg)->uri(), ::testing::StartsWith("postgresql://dirbridge@127.0.0.1:"));
  EXPECT_FALSE(absl::StrContains((*pg)->uri(), (*pg)->password()));
  struct stat st{};
  ASSERT_EQ(stat((*pg)->password_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((*pg)->pgpass_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  int code = -1;
  absl::StatusOr<std::string> out =
      PsqlTcp(**pg, "dirbridge", (*pg)->pgpass_file(), "SELECT current_user", &code);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(code, 0) << *out;
  EXPECT_THAT(*out, ::testing::HasSubstr("dirbridge"));

  const std::string wrong = MakeTempDir("pgpass") + "/pgpass";
  WriteFile(wrong, "127.0.0.1:*:*:dirbridge:not-the-password\n", 0600);
  out = PsqlTcp(**pg, "dirbridge", wrong, "SELECT 1", &code);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_NE(code, 0);
  EXPECT_THAT(*out, ::testing::HasSubstr("password authentication failed"));
}

TEST(PostgresHarnessTest, StopAndStartKeepsTheDataAndThePort) {
  absl::StatusOr<Postgres*> pg = Postgres::Shared();
  ASSERT_TRUE(pg.ok()) << pg.status();
  absl::StatusOr<std::string> db = (*pg)->NewDatabase();
  ASSERT_TRUE(db.ok()) << db.status();
  int code = -1;
  ASSERT_TRUE(PsqlTcp(**pg, *db, (*pg)->pgpass_file(), "CREATE TABLE kept (v int); "
                      "INSERT INTO kept VALUES (42)", &code).ok());
  ASSERT_EQ(code, 0);
  const int port = (*pg)->port();

  ASSERT_TRUE((*pg)->Stop().ok());
  EXPECT_FALSE(PortAcceptsConnections(port));
  ASSERT_TRUE((*pg)->Start().ok()) << (*pg)->Log();
  EXPECT_EQ((*pg)->port(), port);
  absl::StatusOr<std::string> out =
      PsqlTcp(**pg, *db, (*pg)->pgpass_file(), "SELECT v FROM kept", &code);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(code, 0) << *out;
  EXPECT_THAT(*out, ::testing::HasSubstr("42"));
}

TEST(PostgresHarnessTest, EachNewDatabaseIsEmptyAndApart) {
  absl::StatusOr<Postgres*> pg = Postgres::Shared();
  ASSERT_TRUE(pg.ok()) << pg.status();
  absl::StatusOr<std::string> a = (*pg)->NewDatabase();
  absl::StatusOr<std::string> b = (*pg)->NewDatabase();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  int code = -1;
  ASSERT_TRUE(PsqlTcp(**pg, *a, (*pg)->pgpass_file(), "CREATE TABLE only_in_a (v int)", &code)
                  .ok());
  ASSERT_EQ(code, 0);
  absl::StatusOr<std::string> out = PsqlTcp(
      **pg, *b, (*pg)->pgpass_file(), "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'",
      &code);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(code, 0) << *out;
  // Exactly "0": a substring match would also take "10".
  EXPECT_EQ(absl::StripAsciiWhitespace(*out), "0");
}

}  // namespace
}  // namespace dirbridge::testing
