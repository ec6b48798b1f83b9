// CloudConfig: defaults (shared/API.md's), every flag reaching its field,
// every check, every problem at once.

#include "cloud_svc/config/cloud_config.h"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloud_svc/config/cloud_flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dirbridge::cloud {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A config that passes: the defaults, plaintext.
CloudConfig Valid() {
  CloudConfig c;
  c.insecure = true;
  return c;
}

std::string Problems(const CloudConfig& c) { return absl::StrJoin(c.Validate(), "\n"); }

TEST(CloudConfigTest, DefaultsAreApiMds) {
  CloudConfig c;
  EXPECT_EQ(c.backend_addr, "127.0.0.1:50051");
  EXPECT_EQ(c.tunnel_addr, "0.0.0.0:50052");
  EXPECT_EQ(c.data_dir, "./cloud-data");
  EXPECT_EQ(c.store, "sqlite");
  EXPECT_EQ(c.store_password_file, "");
  EXPECT_FALSE(c.insecure);
  EXPECT_EQ(c.backend_tls_cert, "");
  EXPECT_EQ(c.backend_tls_key, "");
  EXPECT_THAT(c.tunnel_hostnames, ElementsAre("localhost", "127.0.0.1"));
  EXPECT_EQ(c.client_cert_validity, absl::Hours(24 * 90));
  EXPECT_EQ(c.stream_credits, 2u);
  EXPECT_EQ(c.heartbeat_interval, absl::Seconds(10));
  EXPECT_EQ(c.registration_key_ttl, absl::Hours(24));
  EXPECT_EQ(c.drain_timeout, absl::Seconds(10));
  EXPECT_EQ(c.metrics_addr, "");
  EXPECT_EQ(c.auth_failures_per_user, 10);
  EXPECT_EQ(c.auth_failures_per_tenant, 1000);
  EXPECT_EQ(c.auth_failure_window, absl::Minutes(15));
  EXPECT_EQ(c.import_page_size, 1000);
  EXPECT_EQ(c.import_hold_fraction, 0.2);
  EXPECT_EQ(c.import_hold_minimum, 10);
  EXPECT_EQ(c.import_full_interval, absl::Hours(24 * 7));
  EXPECT_EQ(c.scheduler_tick, absl::Seconds(10));
  EXPECT_EQ(c.store_threads, 8);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.log_format, "text");
  // The flags' defaults are the struct's, field for field.
  EXPECT_TRUE(CloudConfigFromFlags() == c);
}

TEST(CloudConfigTest, EveryFlagReachesItsField) {
  absl::FlagSaver restore;
  std::vector<std::pair<std::string, std::string>> flags = {
      {"backend_addr", "127.0.0.1:1"},       {"tunnel_addr", "127.0.0.1:2"},
      {"metrics_addr", "127.0.0.1:3"},       {"ports_file", "/p"},
      {"insecure", "true"},                  {"backend_tls_cert", "/c"},
      {"backend_tls_key", "/k"},             {"tunnel_hostnames", "a,b,c"},
      {"client_cert_validity", "1h"},        {"data_dir", "/d"},
      {"operator_token_file", "/t"},         {"bootstrap_dir", "/b"},
      {"stream_credits", "7"},               {"heartbeat_interval", "3s"},
      {"registration_key_ttl", "2h"},        {"drain_timeout", "4s"},
      {"auth_failures_per_user", "5"},       {"auth_failures_per_tenant", "6"},
      {"auth_failure_window", "7m"},         {"import_page_size", "8"},
      {"import_hold_fraction", "0.5"},       {"import_hold_minimum", "9"},
      {"import_full_interval", "10h"},       {"scheduler_tick", "11s"},
      {"store_threads", "12"},               {"log_level", "debug"},
      {"log_format", "json"},                {"peer_addr", "127.0.0.1:4"},
      {"replica_id", "r-1"},                 {"replica_heartbeat", "500ms"},
      {"store", "postgresql://u@db:5432/d"}, {"store_password_file", "/pw"}};
  for (const auto& [name, value] : flags) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    ASSERT_NE(flag, nullptr) << name;
    std::string error;
    ASSERT_TRUE(flag->ParseFrom(value, &error)) << name << ": " << error;
  }
  CloudConfig want{.backend_addr = "127.0.0.1:1", .tunnel_addr = "127.0.0.1:2",
                     .metrics_addr = "127.0.0.1:3", .ports_file = "/p",
                     .peer_addr = "127.0.0.1:4", .replica_id = "r-1",
                     .replica_heartbeat = absl::Milliseconds(500), .insecure = true,
                     .backend_tls_cert = "/c", .backend_tls_key = "/k",
                     .tunnel_hostnames = {"a", "b", "c"},
                     .client_cert_validity = absl::Hours(1), .data_dir = "/d",
                     .store = "postgresql://u@db:5432/d", .store_password_file = "/pw",
                     .operator_token_file = "/t", .bootstrap_dir = "/b", .stream_credits = 7,
                     .heartbeat_interval = absl::Seconds(3),
                     .registration_key_ttl = absl::Hours(2), .drain_timeout = absl::Seconds(4),
                     .auth_failures_per_user = 5, .auth_failures_per_tenant = 6,
                     .auth_failure_window = absl::Minutes(7), .import_page_size = 8,
                     .import_hold_fraction = 0.5, .import_hold_minimum = 9,
                     .import_full_interval = absl::Hours(10),
                     .scheduler_tick = absl::Seconds(11), .store_threads = 12,
                     .log_level = "debug", .log_format = "json"};
  EXPECT_TRUE(CloudConfigFromFlags() == want);
  EXPECT_THAT(want.Validate(), IsEmpty());
}

TEST(CloudConfigTest, StoreIsSqliteOrAPostgresUriWithoutAPassword) {
  for (const char* good : {"sqlite", "postgresql://dirbridge@127.0.0.1:5432/dirbridge",
                           "postgres://dirbridge@db.example.com/dirbridge",
                           "postgresql://dirbridge@db/dirbridge?sslmode=verify-full"}) {
    CloudConfig c = Valid();
    c.store = good;
    EXPECT_THAT(c.Validate(), IsEmpty()) << good;
  }
  CloudConfig c = Valid();
  c.store = "postgresql://dirbridge@db/dirbridge";
  c.store_password_file = "/etc/dirbridge/pg-password";
  EXPECT_THAT(c.Validate(), IsEmpty());

  c = Valid();
  c.store = "mysql://root@db/x";
  EXPECT_THAT(Problems(c), AllOf(HasSubstr("--store"), HasSubstr("\"mysql://root@db/x\""),
                                 HasSubstr("sqlite")));
  c.store = "";
  EXPECT_THAT(c.Validate(), SizeIs(1));
}

TEST(CloudConfigTest, AStoreUriWithAPasswordIsRefusedWithoutQuotingIt) {
  for (const char* bad : {"postgresql://dirbridge:s3cret-pw@db:5432/dirbridge",
                          "postgresql://dirbridge@db/dirbridge?password=s3cret-pw",
                          "postgres://dirbridge:s3cret-pw@db"}) {
    CloudConfig c = Valid();
    c.store = bad;
    std::string problems = Problems(c);
    EXPECT_THAT(problems, AllOf(HasSubstr("--store"), HasSubstr("--store_password_file"),
                                HasSubstr("PGPASSFILE")))
        << bad;
    EXPECT_THAT(problems, ::testing::Not(HasSubstr("s3cret-pw"))) << bad;
  }
}

TEST(CloudConfigTest, AStorePasswordFileIsForPostgresOnly) {
  CloudConfig c = Valid();
  c.store_password_file = "/etc/dirbridge/pg-password";
  EXPECT_THAT(c.Validate(),
              ElementsAre("--store_password_file is for a PostgreSQL --store, not sqlite"));
}

TEST(CloudConfigTest, ValidConfigHasNoProblems) {
  EXPECT_THAT(Valid().Validate(), IsEmpty());
  EXPECT_TRUE(CheckCloudConfig(Valid()).ok());
}

TEST(CloudConfigTest, EveryProblemIsReportedAtOnce) {
  CloudConfig c = Valid();
  c.stream_credits = 0;
  c.import_page_size = 20000;
  c.log_format = "yaml";
  std::vector<std::string> problems = c.Validate();
  EXPECT_THAT(problems, ElementsAre("--stream_credits must be from 1 to 64, not 0",
                                    "--import_page_size must be from 1 to 10000, not 20000",
                                    "--log_format must be text or json, not \"yaml\""));
  absl::Status st = CheckCloudConfig(c);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  // One problem per line, after a line that counts them.
  std::vector<std::string> lines = absl::StrSplit(st.message(), '\n');
  ASSERT_THAT(lines, SizeIs(4));
  EXPECT_THAT(lines[0], HasSubstr("3 problems"));
  EXPECT_THAT(lines[1], HasSubstr("--stream_credits"));
  EXPECT_THAT(lines[3], HasSubstr("--log_format"));
}

// One range bound: `ok` is accepted, `bad` (its neighbour outside) refused
// with a message naming the flag and quoting the value.
struct Bound {
  std::string flag;
  std::function<void(CloudConfig&)> ok;
  std::function<void(CloudConfig&)> bad;
  std::string quoted;  // what the refusal must say
};

TEST(CloudConfigTest, EachBoundIsAcceptedAndItsNeighbourRefused) {
  const absl::Duration ms = absl::Milliseconds(1);
  std::vector<Bound> bounds = {
      {"stream_credits", [](CloudConfig& c) { c.stream_credits = 1; },
       [](CloudConfig& c) { c.stream_credits = 0; }, "from 1 to 64, not 0"},
      {"stream_credits", [](CloudConfig& c) { c.stream_credits = 64; },
       [](CloudConfig& c) { c.stream_credits = 65; }, "from 1 to 64, not 65"},
      {"heartbeat_interval", [&](CloudConfig& c) { c.heartbeat_interval = 50 * ms; },
       [&](CloudConfig& c) { c.heartbeat_interval = 49 * ms; }, "at least 50ms, not 49ms"},
      {"scheduler_tick", [&](CloudConfig& c) { c.scheduler_tick = 50 * ms; },
       [&](CloudConfig& c) { c.scheduler_tick = 49 * ms; }, "at least 50ms, not 49ms"},
      {"auth_failures_per_user", [](CloudConfig& c) { c.auth_failures_per_user = 1; },
       [](CloudConfig& c) { c.auth_failures_per_user = 0; }, "at least 1, not 0"},
      {"auth_failures_per_tenant", [](CloudConfig& c) { c.auth_failures_per_tenant = 1; },
       [](CloudConfig& c) { c.auth_failures_per_tenant = 0; }, "at least 1, not 0"},
      {"auth_failure_window", [&](CloudConfig& c) { c.auth_failure_window = ms; },
       [](CloudConfig& c) { c.auth_failure_window = absl::ZeroDuration(); }, "not 0"},
      {"import_page_size", [](CloudConfig& c) { c.import_page_size = 1; },
       [](CloudConfig& c) { c.import_page_size = 0; }, "from 1 to 10000, not 0"},
      {"import_page_size", [](CloudConfig& c) { c.import_page_size = 10000; },
       [](CloudConfig& c) { c.import_page_size = 10001; }, "from 1 to 10000, not 10001"},
      {"import_hold_fraction", [](CloudConfig& c) { c.import_hold_fraction = 0; },
       [](CloudConfig& c) { c.import_hold_fraction = -0.01; }, "from 0 to 1, not -0.01"},
      {"import_hold_fraction", [](CloudConfig& c) { c.import_hold_fraction = 1; },
       [](CloudConfig& c) { c.import_hold_fraction = 1.01; }, "from 0 to 1, not 1.01"},
      {"import_hold_fraction", [](CloudConfig& c) { c.import_hold_fraction = 0.5; },
       [](CloudConfig& c) { c.import_hold_fraction = std::nan(""); }, "from 0 to 1, not nan"},
      {"import_hold_minimum", [](CloudConfig& c) { c.import_hold_minimum = 0; },
       [](CloudConfig& c) { c.import_hold_minimum = -1; }, "at least 0, not -1"},
      {"import_full_interval", [](CloudConfig& c) { c.import_full_interval = absl::ZeroDuration(); },
       [&](CloudConfig& c) { c.import_full_interval = -ms; }, "at least 0, not -1ms"},
      {"store_threads", [](CloudConfig& c) { c.store_threads = 1; },
       [](CloudConfig& c) { c.store_threads = 0; }, "from 1 to 256, not 0"},
      {"store_threads", [](CloudConfig& c) { c.store_threads = 256; },
       [](CloudConfig& c) { c.store_threads = 257; }, "from 1 to 256, not 257"},
      {"client_cert_validity", [](CloudConfig& c) { c.client_cert_validity = absl::Seconds(1); },
       [](CloudConfig& c) { c.client_cert_validity = absl::ZeroDuration(); }, "not 0"},
      {"registration_key_ttl", [](CloudConfig& c) { c.registration_key_ttl = absl::Seconds(1); },
       [](CloudConfig& c) { c.registration_key_ttl = absl::Seconds(-1); }, "not -1s"},
      {"drain_timeout", [](CloudConfig& c) { c.drain_timeout = absl::ZeroDuration(); },
       [&](CloudConfig& c) { c.drain_timeout = -ms; }, "at least 0, not -1ms"},
  };
  for (const Bound& b : bounds) {
    CloudConfig ok = Valid();
    b.ok(ok);
    EXPECT_THAT(ok.Validate(), IsEmpty()) << b.flag << " bound refused";
    CloudConfig bad = Valid();
    b.bad(bad);
    EXPECT_THAT(bad.Validate(),
                ElementsAre(AllOf(HasSubstr("--" + b.flag + " must be"), HasSubstr(b.quoted))))
        << b.flag << " neighbour";
  }
}

TEST(CloudConfigTest, TlsFilesAreRequiredUnlessInsecure) {
  CloudConfig c;  // neither file, not insecure
  EXPECT_THAT(c.Validate(),
              ElementsAre("--backend_tls_cert and --backend_tls_key are required unless "
                          "--insecure"));
  c.backend_tls_cert = "/etc/dirbridge/backend.pem";
  EXPECT_THAT(c.Validate(), ElementsAre("--backend_tls_key is required with --backend_tls_cert"));
  c.backend_tls_key = "/etc/dirbridge/backend-key.pem";
  EXPECT_THAT(c.Validate(), IsEmpty());
  c.backend_tls_cert.clear();
  EXPECT_THAT(c.Validate(), ElementsAre("--backend_tls_cert is required with --backend_tls_key"));
  c.insecure = true;  // half a pair is still a mistake worth naming
  EXPECT_THAT(c.Validate(), ElementsAre("--backend_tls_cert is required with --backend_tls_key"));
  c.backend_tls_key.clear();
  EXPECT_THAT(c.Validate(), IsEmpty());
}

TEST(CloudConfigTest, AddressesMustBeHostPort) {
  for (const char* good : {"127.0.0.1:0", "0.0.0.0:65535", "[::1]:50051", "[::]:0",
                           "cloud.example.com:443", "localhost:50051", "unix:/run/cloud.sock"}) {
    CloudConfig c = Valid();
    c.backend_addr = c.tunnel_addr = c.metrics_addr = good;
    EXPECT_THAT(c.Validate(), IsEmpty()) << good;
  }
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":50051", "host:65536", "host:-1",
                          "host:5x", "::1:50051", "[::1]", "unix:"}) {
    CloudConfig c = Valid();
    c.backend_addr = c.tunnel_addr = c.metrics_addr = bad;
    std::string quoted = absl::StrCat("not \"", bad, "\"");
    EXPECT_THAT(c.Validate(),
                ElementsAre(AllOf(HasSubstr("--backend_addr must be HOST:PORT"), HasSubstr(quoted)),
                            AllOf(HasSubstr("--tunnel_addr must be HOST:PORT"), HasSubstr(quoted)),
                            AllOf(HasSubstr("--metrics_addr must be HOST:PORT"),
                                  HasSubstr(quoted))))
        << bad;
  }
  CloudConfig c = Valid();
  c.backend_addr.clear();
  c.tunnel_addr.clear();
  c.metrics_addr.clear();  // the one that may be empty: no metrics endpoint
  EXPECT_THAT(c.Validate(), ElementsAre("--backend_addr must be HOST:PORT, not empty",
                                        "--tunnel_addr must be HOST:PORT, not empty"));
}

TEST(CloudConfigTest, OtherValuesAreChecked) {
  for (const char* level : {"trace", "debug", "info", "warn", "warning", "error", "critical", "off"}) {
    CloudConfig c = Valid();
    c.log_level = level;
    EXPECT_THAT(c.Validate(), IsEmpty()) << level;
  }
  CloudConfig c = Valid();
  c.log_level = "loud";
  c.data_dir.clear();
  c.tunnel_hostnames = {"cloud", ""};
  EXPECT_THAT(Problems(c), AllOf(HasSubstr("--log_level must be trace, debug, info, warn, error, "
                                           "critical or off, not \"loud\""),
                                 HasSubstr("--data_dir must name a directory, not empty"),
                                 HasSubstr("--tunnel_hostnames must not have an empty entry, not "
                                           "\"cloud,\"")));
  EXPECT_THAT(c.Validate(), SizeIs(3));
}

TEST(CloudConfigTest, ReplicaFlagsAreChecked) {
  CloudConfig c = Valid();
  c.peer_addr = "127.0.0.1:0";
  EXPECT_THAT(Problems(c), HasSubstr("--peer_addr makes this one of N replicas, which share a "
                                     "PostgreSQL --store"));
  c.store = "postgresql://dirbridge@db:5432/cloud";
  c.replica_id = "cloud-a.eu_1";
  EXPECT_THAT(c.Validate(), IsEmpty());
  c.peer_addr = "nowhere";
  c.replica_id = "a b";
  c.replica_heartbeat = absl::Milliseconds(50);
  EXPECT_THAT(Problems(c), AllOf(HasSubstr("--peer_addr"), HasSubstr("--replica_id takes letters"),
                                 HasSubstr("--replica_heartbeat")));
  EXPECT_THAT(c.Validate(), SizeIs(3));
  c = Valid();
  c.replica_id = std::string(65, 'r');
  c.store = "postgresql://dirbridge@db:5432/cloud";
  EXPECT_THAT(c.Validate(), SizeIs(1));
}

}  // namespace
}  // namespace dirbridge::cloud
