#include "connector_svc/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"

namespace dirbridge::connector {
namespace {

using ::dirbridge::testing::MakeTempDir;
using ::dirbridge::testing::WriteFile;
using ::testing::HasSubstr;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("config");
    WriteFile(dir_ + "/pw", "s3cret\n", 0600);
  }
  absl::StatusOr<ConnectorConfig> Load(const std::string& yaml) {
    WriteFile(dir_ + "/c.yaml", yaml);
    return LoadConfig(dir_ + "/c.yaml");
  }
  std::string Valid() {
    return "cloud:\n  address: cloud:50052\n  insecure: true\n"
           "state_dir: /var/lib/x\n"
           "ldap:\n  uris: [ldaps://dc1, ldaps://dc2]\n  tls: ldaps\n"
           "  bind_dn: cn=svc\n  bind_password_file: " + dir_ + "/pw\n"
           "  base_dn: dc=corp\n  profile: active_directory\n  timeout: 3s\n"
           "  page_size: 500\n";
  }
  std::string dir_;
};

TEST_F(ConfigTest, ValidFileLoads) {
  auto c = Load(Valid());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->cloud_addresses, ::testing::ElementsAre("cloud:50052"));
  EXPECT_TRUE(c->cloud_insecure);
  EXPECT_THAT(c->ldap.uris, ::testing::ElementsAre("ldaps://dc1", "ldaps://dc2"));
  EXPECT_EQ(c->ldap.bind_password, "s3cret");  // trailing newline dropped
  EXPECT_EQ(c->ldap.timeout, absl::Seconds(3));
  EXPECT_EQ(c->ldap.page_size, 500);
  EXPECT_EQ(c->ldap.profile, LdapProfile::kActiveDirectory);
}

TEST_F(ConfigTest, CloudAddressMayListReplicas) {
  std::string yaml = Valid();
  yaml.replace(yaml.find("address: cloud:50052"), 20, "address: [cloud-a:50052, cloud-b:50052]");
  auto c = Load(yaml);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->cloud_addresses, ::testing::ElementsAre("cloud-a:50052", "cloud-b:50052"));

  yaml = Valid();
  yaml.replace(yaml.find("address: cloud:50052"), 20, "address: []");
  c = Load(yaml);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("\"cloud.address\" must name HOST:PORT"));

  yaml = Valid();
  yaml.replace(yaml.find("address: cloud:50052"), 20, "address: [cloud-a:1, {x: 1}]");
  c = Load(yaml);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("\"cloud.address\" must be a string"));
}

TEST_F(ConfigTest, EveryProblemIsListedAtOnce) {
  auto c = Load("cloud:\n  adress: x\nstate_dir: /s\nbogus: 1\n"
                "ldap:\n  uris: [http://dc1, ldap://dc2]\n  tls: ldaps\n  page_size: 0\n"
                "  profile: novell\n  bind_password_file: /nonexistent\n");
  ASSERT_FALSE(c.ok());
  std::string msg(c.status().message());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(msg, HasSubstr("unknown key \"cloud.adress\""));
  EXPECT_THAT(msg, HasSubstr("unknown key \"bogus\""));
  EXPECT_THAT(msg, HasSubstr("\"cloud.address\" is required"));
  EXPECT_THAT(msg, HasSubstr("http://dc1"));
  EXPECT_THAT(msg, HasSubstr("ldap://dc2\" is plaintext"));
  EXPECT_THAT(msg, HasSubstr("ldap.page_size"));
  EXPECT_THAT(msg, HasSubstr("novell"));
  EXPECT_THAT(msg, HasSubstr("ldap.bind_dn"));
  EXPECT_THAT(msg, HasSubstr("/nonexistent"));
}

TEST_F(ConfigTest, PasswordNeverAppearsInErrors) {
  std::string yaml = Valid();
  yaml.replace(yaml.find("timeout: 3s"), 11, "timeout: nonsense");
  auto c = Load(yaml);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("ldap.timeout"));
  EXPECT_THAT(std::string(c.status().message()), ::testing::Not(HasSubstr("s3cret")));
}

TEST_F(ConfigTest, MaxStreamsHasADefaultAndARange) {
  auto c = Load(Valid());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->ldap.max_streams, 4);
  c = Load(Valid() + "  max_streams: 12\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->ldap.max_streams, 12);
  for (const char* bad : {"0", "65", "many"}) {
    c = Load(Valid() + "  max_streams: " + bad + "\n");
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_THAT(std::string(c.status().message()),
                HasSubstr("\"ldap.max_streams\" must be a whole number from 1 to 64"));
  }
}

TEST_F(ConfigTest, BaseDnMustBeADn) {
  // Every search is confined to it, so it must parse.
  std::string yaml = Valid();
  yaml.replace(yaml.find("base_dn: dc=corp"), 16, "base_dn: corp");
  auto c = Load(yaml);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("\"ldap.base_dn\" \"corp\" is not"));
}

TEST_F(ConfigTest, DuplicateKeyIsAProblem) {
  auto c = Load(Valid() + "  page_size: 7\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("duplicate key \"ldap.page_size\""));
}

TEST_F(ConfigTest, NotYamlOrMissingFileIsClear) {
  EXPECT_THAT(std::string(Load("cloud: [unclosed").status().message()),
              HasSubstr("not valid YAML"));
  EXPECT_THAT(std::string(LoadConfig(dir_ + "/missing.yaml").status().message()),
              HasSubstr("cannot read"));
}

TEST_F(ConfigTest, TlsNoneMustBeWrittenOut) {
  std::string yaml = Valid();
  yaml.replace(yaml.find("  tls: ldaps\n"), 13, "");
  auto c = Load(yaml);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("\"ldap.tls\" is required"));
}

}  // namespace
}  // namespace dirbridge::connector
