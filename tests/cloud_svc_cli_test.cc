// cloud_svc's command line: --config FILE, and the built binary's --help
// and refusal of bad flags and files.

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloud_svc/config/cloud_config.h"
#include "cloud_svc/config/cloud_config_file.h"
#include "cloud_svc/config/cloud_flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dirbridge::cloud {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// A file under a fresh directory of $DIRBRIDGE_TEST_TMP (else /tmp).
std::string WriteTempFile(const std::string& contents) {
  const char* base = getenv("DIRBRIDGE_TEST_TMP");
  std::string tmpl = absl::StrCat(base ? base : "/tmp", "/dirbridge-cloudcfg-XXXXXX");
  std::string dir = mkdtemp(tmpl.data());
  std::string path = dir + "/cloud.yaml";
  std::ofstream(path) << contents;
  return path;
}

TEST(ConfigFileTest, FoundInArgvInEverySpelling) {
  auto find = [](std::vector<std::string> args) {
    std::vector<char*> ptrs;
    for (std::string& a : args) ptrs.push_back(a.data());
    return ConfigFileFromArgv(static_cast<int>(ptrs.size()), ptrs.data());
  };
  EXPECT_EQ(find({"cloud_svc"}), "");
  EXPECT_EQ(find({"cloud_svc", "--config", "a.yaml"}), "a.yaml");
  EXPECT_EQ(find({"cloud_svc", "-config=b.yaml", "--insecure"}), "b.yaml");
  EXPECT_EQ(find({"cloud_svc", "--config=a", "--config", "c"}), "c");  // the last wins
  EXPECT_EQ(find({"cloud_svc", "--", "--config=a"}), "");  // not a flag after --
  EXPECT_EQ(find({"cloud_svc", "--configx=a"}), "");
}

TEST(ConfigFileTest, SetsTheFlagsItNames) {
  absl::FlagSaver restore;
  std::string path = WriteTempFile(
      "insecure: true\nstream_credits: 5\nheartbeat_interval: 2s\n"
      "tunnel_hostnames: [cloud, 10.0.0.1]\nimport_hold_fraction: 0.5\nlog_format: json\n");
  EXPECT_THAT(ApplyConfigFile(path), IsEmpty());
  CloudConfig c = CloudConfigFromFlags();
  EXPECT_TRUE(c.insecure);
  EXPECT_EQ(c.stream_credits, 5u);
  EXPECT_EQ(c.heartbeat_interval, absl::Seconds(2));
  EXPECT_THAT(c.tunnel_hostnames, ElementsAre("cloud", "10.0.0.1"));
  EXPECT_EQ(c.import_hold_fraction, 0.5);
  EXPECT_EQ(c.log_format, "json");
  EXPECT_EQ(c.backend_addr, "127.0.0.1:50051");  // what the file leaves alone
}

TEST(ConfigFileTest, NamesThePostgresStore) {
  absl::FlagSaver restore;
  std::string path = WriteTempFile(
      "store: postgresql://dirbridge@db.example.com:5432/dirbridge\n"
      "store_password_file: /etc/dirbridge/pg-password\n");
  EXPECT_THAT(ApplyConfigFile(path), IsEmpty());
  CloudConfig c = CloudConfigFromFlags();
  EXPECT_EQ(c.store, "postgresql://dirbridge@db.example.com:5432/dirbridge");
  EXPECT_EQ(c.store_password_file, "/etc/dirbridge/pg-password");
}

TEST(ConfigFileTest, EveryProblemNamesItsKey) {
  absl::FlagSaver restore;
  std::string path = WriteTempFile(
      "stream_credit: 5\nstream_credits: many\nprobe: 127.0.0.1:1\n"
      "heartbeat_interval: {a: 1}\nlog_level: debug\nlog_level: info\n");
  std::string all = absl::StrJoin(ApplyConfigFile(path), "\n");
  EXPECT_THAT(all, AllOf(HasSubstr("unknown key \"stream_credit\""),
                         HasSubstr("\"stream_credits\": Illegal value 'many'"),
                         HasSubstr("unknown key \"probe\""),
                         HasSubstr("\"heartbeat_interval\" must be a value or a list"),
                         HasSubstr("duplicate key \"log_level\""), HasSubstr(path)));
  EXPECT_THAT(ApplyConfigFile(path), SizeIs(5));
}

TEST(ConfigFileTest, UnreadableOrNotAMapIsOneProblem) {
  EXPECT_THAT(ApplyConfigFile("/nonexistent/cloud.yaml"),
              ElementsAre(HasSubstr("cannot read the file")));
  EXPECT_THAT(ApplyConfigFile(WriteTempFile("[a, b]\n")),
              ElementsAre(HasSubstr("must be a YAML map")));
  EXPECT_THAT(ApplyConfigFile(WriteTempFile("a: [b\n")),
              ElementsAre(HasSubstr("is not valid YAML")));
  EXPECT_THAT(ApplyConfigFile(WriteTempFile("")), IsEmpty());
}

TEST(ConfigFileTest, TheExampleFileIsValid) {
  absl::FlagSaver restore;
  EXPECT_THAT(ApplyConfigFile(DIRBRIDGE_SOURCE_DIR "/cloud_svc/config/cloud.example.yaml"),
              IsEmpty());
  EXPECT_THAT(CloudConfigFromFlags().Validate(), IsEmpty());
}

// --- The built binary. ---

// Runs cloud_svc with `args`; its stdout and stderr together.
std::string RunCloudSvc(const std::string& args, int* exit_code) {
  std::string cmd = absl::StrCat(DIRBRIDGE_CLOUD_SVC_BIN, " ", args, " 2>&1 </dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

// Every flag of cloud_svc's own, with its default as --help spells it.
const std::vector<std::pair<std::string, std::string>>& FlagDefaults() {
  static const auto* flags = new std::vector<std::pair<std::string, std::string>>{
      {"backend_addr", "\"127.0.0.1:50051\""}, {"tunnel_addr", "\"0.0.0.0:50052\""},
      {"data_dir", "\"./cloud-data\""},       {"backend_tls_cert", "\"\""},
      {"backend_tls_key", "\"\""},            {"insecure", "false"},
      {"tunnel_hostnames", "localhost,127.0.0.1"}, {"client_cert_validity", "2160h"},
      {"operator_token_file", "\"\""},        {"stream_credits", "2"},
      {"heartbeat_interval", "10s"},          {"registration_key_ttl", "24h"},
      {"drain_timeout", "10s"},               {"ports_file", "\"\""},
      {"log_level", "\"info\""},              {"log_format", "\"text\""},
      {"bootstrap_dir", "\"\""},              {"metrics_addr", "\"\""},
      {"auth_failures_per_user", "10"},       {"auth_failures_per_tenant", "1000"},
      {"auth_failure_window", "15m"},         {"import_page_size", "1000"},
      {"import_hold_fraction", "0.2"},        {"import_hold_minimum", "10"},
      {"import_full_interval", "168h"},       {"scheduler_tick", "10s"},
      {"store_threads", "8"},                 {"probe", "\"\""},
      {"probe_ca", "\"\""},                  {"config", "\"\""}};
  return *flags;
}

// The help text with every run of whitespace made one space: Abseil wraps
// lines wherever the width runs out, even between "default:" and its value.
std::string Flattened(const std::string& help) {
  std::vector<absl::string_view> words = absl::StrSplit(help, absl::ByAnyChar(" \n\t"),
                                                        absl::SkipEmpty());
  return absl::StrJoin(words, " ");
}

TEST(CloudSvcBinaryTest, HelpListsEveryOwnFlagWithItsDefaultAndNoOthers) {
  for (const char* help : {"--help", "--helpshort"}) {
    int code = -1;
    std::string out = RunCloudSvc(help, &code);
    std::string flat = Flattened(out);
    EXPECT_THAT(out, HasSubstr("the dirbridge coordinator")) << help;
    // The defaults API.md fixes, and whatever else cloud_flags.cc defines
    // (this binary links the same file): each with the default it has.
    std::vector<std::pair<std::string, std::string>> expected = FlagDefaults();
    for (const auto& [name, flag] : absl::GetAllFlags()) {
      if (!absl::EndsWith(flag->Filename(), "cloud_svc/config/cloud_flags.cc")) continue;
      std::string dflt = flag->DefaultValue();
      expected.emplace_back(name, flag->IsOfType<std::string>() ? absl::StrCat("\"", dflt, "\"")
                                                                : dflt);
    }
    ASSERT_GT(expected.size(), FlagDefaults().size());
    for (const auto& [name, dflt] : expected) {
      // Each entry runs from "--name (" to the next "; default: X;".
      size_t at = flat.find(absl::StrCat("--", name, " ("));
      ASSERT_NE(at, std::string::npos) << help << " lacks --" << name << "\n" << out;
      size_t def = flat.find("; default: ", at);
      ASSERT_NE(def, std::string::npos) << name;
      EXPECT_EQ(flat.substr(def, 12 + dflt.size()), absl::StrCat("; default: ", dflt, ";"))
          << help << " --" << name;
    }
    EXPECT_THAT(out, Not(HasSubstr("No flags matched"))) << help;
    // Abseil's own flags belong to --helpfull only.
    for (const char* foreign : {"--flagfile", "--fromenv", "--tryfromenv", "--undefok",
                                "--only_check_args", "--helpmatch", "absl/"}) {
      EXPECT_THAT(out, Not(HasSubstr(foreign))) << help;
    }
  }
}

TEST(CloudSvcBinaryTest, BadFlagsAreAllReportedAndTheExitIsNonZero) {
  int code = 0;
  std::string out = RunCloudSvc("--insecure --stream_credits 0 --scheduler_tick 1ms", &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("--stream_credits must be from 1 to 64, not 0"));
  EXPECT_THAT(out, HasSubstr("--scheduler_tick must be at least 50ms, not 1ms"));
  // A value after a bool flag is a stray argument, not the flag's value.
  out = RunCloudSvc("--insecure false --log_format yaml", &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("unexpected argument \"false\""));
  EXPECT_THAT(out, HasSubstr("--log_format must be text or json, not \"yaml\""));
}

TEST(CloudSvcBinaryTest, TheCommandLineWinsOverTheConfigFile) {
  std::string path = WriteTempFile("insecure: true\nstream_credits: 0\nscheduler_tick: 1ms\n");
  int code = 0;
  std::string out =
      RunCloudSvc(absl::StrCat("--config ", path, " --stream_credits 3 --log_format yaml"), &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("--scheduler_tick must be at least 50ms, not 1ms"));  // the file's
  EXPECT_THAT(out, HasSubstr("--log_format must be text or json"));                // argv's
  EXPECT_THAT(out, Not(HasSubstr("--stream_credits")));  // the file's 0 lost to argv's 3
  EXPECT_THAT(out, Not(HasSubstr("--backend_tls_cert")));  // insecure came from the file
  out = RunCloudSvc(absl::StrCat("--config=", WriteTempFile("bogus: 1\n"), " --insecure"), &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("unknown key \"bogus\""));
}

}  // namespace
}  // namespace dirbridge::cloud
