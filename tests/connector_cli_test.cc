// connector_svc's command line: the built binary's help, and the
// subcommands called as functions with their options.

#include <stdlib.h>
#include <sys/stat.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/version.h"
#include "connector_svc/commands/keys_command.h"
#include "connector_svc/commands/register_command.h"
#include "connector_svc/commands/usage.h"
#include "connector_svc/keys/file_key_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/harness/stack.h"

namespace dirbridge::connector {
namespace {

using ::dirbridge::testing::ConnectorBinary;
using ::dirbridge::testing::MakeTempDir;
using ::dirbridge::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

// Every flag of connector_svc's own and its default, as --help prints it.
const std::map<std::string, std::string>& OwnFlags() {
  static const auto* flags = new std::map<std::string, std::string>{
      {"ca_sha256", "\"\""},   {"cloud", "\"\""},
      {"cloud_ca", "\"\""},    {"config", "\"\""},
      {"in", "\"\""},          {"insecure", "false"},
      {"key", "\"\""},         {"key_file", "\"\""},
      {"log_level", "\"\""},   {"out", "\"\""},
      {"passphrase_file", "\"\""},
      {"protocol_revision", absl::StrCat(kProtocolRevision)},
      {"state_dir", "\"\""},
  };
  return *flags;
}

std::string RunConnector(const std::vector<std::string>& args, int* exit_code) {
  std::vector<std::string> argv = {ConnectorBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<std::string> out = ::dirbridge::testing::RunCommand(argv, exit_code);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : "";
}

// Every own flag with its default and a meaning, no other flag, and every
// subcommand.
void ExpectFullUsage(const std::string& out) {
  EXPECT_THAT(out, Not(HasSubstr("No flags matched")));
  for (const char* command : {"register", "run", "check", "keys export", "keys import",
                              "keys rotate"}) {
    EXPECT_THAT(out, HasSubstr(absl::StrCat("connector_svc ", command, " "))) << command;
  }
  // Abseil wraps long help lines: read the text as one line.
  std::string flat = std::regex_replace(out, std::regex("\\s+"), " ");
  for (const auto& [name, value] : OwnFlags()) {
    // The flag's own entry: its help up to "); default:", no other flag's.
    std::regex entry(absl::StrCat(" --", name, " \\((?:(?! --[a-z0-9_]+ \\().)*\\); default: ",
                                  value, ";"));
    EXPECT_TRUE(std::regex_search(flat, entry)) << "--" << name << " default " << value;
  }
  std::set<std::string> listed;
  std::regex flag_line("(^|\\n) +--([a-z0-9_]+) \\(");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), flag_line);
       it != std::sregex_iterator(); ++it) {
    listed.insert((*it)[2]);
  }
  std::set<std::string> own;
  for (const auto& [name, value] : OwnFlags()) own.insert(name);
  EXPECT_EQ(listed, own) << "gRPC's and Abseil's flags stay under --helpfull";
}

TEST(ConnectorUsageTest, HelpListsEveryFlagWithItsDefault) {
  int code = -1;
  std::string out = RunConnector({"--help"}, &code);
  ExpectFullUsage(out);
  EXPECT_THAT(out, HasSubstr("Flags from connector_svc/main.cc"));
}

TEST(ConnectorUsageTest, NoCommandOrAnUnknownOneShowsTheSameUsage) {
  int code = -1;
  ExpectFullUsage(RunConnector({}, &code));
  EXPECT_EQ(code, 2);
  std::string out = RunConnector({"rgister"}, &code);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("unknown command \"rgister\""));
  ExpectFullUsage(out);
}

TEST(ConnectorUsageTest, OwnFlagFilesInEveryFormTheBuildGives) {
  EXPECT_TRUE(IsConnectorFlagFile("connector_svc/main.cc"));
  EXPECT_TRUE(IsConnectorFlagFile("../connector_svc/main.cc"));
  EXPECT_TRUE(IsConnectorFlagFile("/work/main/connector_svc/commands/usage.cc"));
  EXPECT_FALSE(IsConnectorFlagFile("./absl/flags/parse.cc"));
  EXPECT_FALSE(IsConnectorFlagFile("/src/cloud_svc/main.cc"));
  EXPECT_FALSE(IsConnectorFlagFile("my_connector_svc/main.cc"));
}

TEST(RegisterCommandTest, EveryMissingOptionIsListedAtOnce) {
  unsetenv("DIRBRIDGE_REGISTRATION_KEY");
  absl::Status st = RegisterConnector(RegisterOptions{});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  std::string msg(st.message());
  EXPECT_THAT(msg, HasSubstr("--cloud HOST:PORT is required"));
  EXPECT_THAT(msg, HasSubstr("--state_dir DIR is required"));
  EXPECT_THAT(msg, HasSubstr("--key, --key_file or $DIRBRIDGE_REGISTRATION_KEY"));
  EXPECT_THAT(msg, HasSubstr("--ca_sha256 HASH"));
}

class KeysCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("keys_command");
    WriteFile(dir_ + "/passphrase", "correct horse\n", 0600);
    unsetenv("DIRBRIDGE_KEK_PASSPHRASE");
  }
  KeysOptions Options(const std::string& action, const std::string& state_dir) {
    KeysOptions o;
    o.action = action;
    o.state_dir = state_dir;
    o.passphrase_file = dir_ + "/passphrase";
    return o;
  }
  std::string dir_;
};

TEST_F(KeysCommandTest, AMistypedActionTouchesNothing) {
  absl::Status st = ManageKeys(Options("exprot", dir_ + "/state"));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("\"exprot\""));
  struct stat info;
  EXPECT_NE(stat((dir_ + "/state").c_str(), &info), 0);
  EXPECT_EQ(ManageKeys(Options("", dir_ + "/state")).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(KeysCommandTest, ExportedVersionsImportIntoAnotherConnector) {
  KeysOptions rotate = Options("rotate", dir_ + "/a");
  ASSERT_TRUE(ManageKeys(rotate).ok());
  KeysOptions exp = Options("export", dir_ + "/a");
  EXPECT_EQ(ManageKeys(exp).code(), absl::StatusCode::kInvalidArgument);  // no --out
  exp.out = dir_ + "/kek.backup";
  ASSERT_TRUE(ManageKeys(exp).ok());
  KeysOptions imp = Options("import", dir_ + "/b");
  imp.in = exp.out;
  ASSERT_TRUE(ManageKeys(imp).ok());
  // b now wraps under a's current KEK.
  absl::StatusOr<std::unique_ptr<FileKeyStore>> a = FileKeyStore::Open(dir_ + "/a");
  absl::StatusOr<std::unique_ptr<FileKeyStore>> b = FileKeyStore::Open(dir_ + "/b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*b)->current_version(), (*a)->current_version());
  imp.passphrase_file = dir_ + "/missing";
  EXPECT_EQ(ManageKeys(imp).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace dirbridge::connector
