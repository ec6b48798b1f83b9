// The connector's LDAP layer against a real Samba AD DC (the fixture
// samba_dc's): what only a DC's own answers can show.

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "connector_svc/ldap/ldap_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/samba_dc.h"

namespace dirbridge::connector {
namespace {

using testing::SambaDc;

LdapConfig ConfigFor(const SambaDc& dc) {
  LdapConfig c;
  c.uris = {dc.ldaps_uri()};
  c.tls = LdapTls::kLdaps;
  c.ca_file = dc.ca_file();
  c.bind_dn = SambaDc::kServiceDn;
  c.bind_password = SambaDc::ServicePassword();
  c.base_dn = SambaDc::kBaseDn;
  c.profile = LdapProfile::kActiveDirectory;
  return c;
}

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = 0; (at = haystack.find(needle, at)) != std::string::npos; ++at) ++n;
  return n;
}

// Windows answers a read of `member` on a group of more than MaxValRange
// (1500) members with the first slice only, "member;range=0-1499"; Samba
// sends every value unless a range is asked for, so the read here asks for
// that first slice itself, as a Windows DC would answer it. The rest comes
// from the DC's own ranged answers.
TEST(AdLdapTest, RangedMemberReadOfABigGroupContinuesToTheLastSlice) {
  SambaDc dc = SambaDc::FromEnvironment();
  ASSERT_FALSE(dc.dir().empty()) << "DIRBRIDGE_SAMBA_DC_DIR is not set: run under ctest";
  // The DC does slice: the first 1500, then the rest marked last ("*").
  absl::StatusOr<std::string> raw = dc.Admin(
      "ldapsearch", {"-LLL", "-b", SambaDc::GroupDn("big"), "-s", "base", "(objectClass=*)",
                     "member;range=1500-*"});
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(Count(*raw, "member;range=1500-*: "), SambaDc::kBulkUsers - 1500);

  OpContext ctx{absl::Now() + absl::Seconds(60)};
  absl::StatusOr<std::unique_ptr<LdapConnection>> conn =
      LdapConnection::Open(ConfigFor(dc), dc.ldaps_uri(), ctx);
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::StatusOr<std::vector<LdapEntry>> entries = (*conn)->Search(
      SambaDc::GroupDn("big"), LdapScope::kBase, "(objectClass=group)", {"member;range=0-1499"},
      ctx);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 1u);
  const LdapEntry& big = entries->front();
  ASSERT_TRUE(big.attributes.contains("member"));
  const std::vector<std::string>& members = big.attributes.at("member");
  std::set<std::string> unique(members.begin(), members.end());
  EXPECT_EQ(members.size(), static_cast<size_t>(SambaDc::kBulkUsers));
  EXPECT_EQ(unique.size(), members.size());
  for (int i : {1, 1500, 1501, SambaDc::kBulkUsers}) {
    EXPECT_TRUE(unique.contains(SambaDc::BulkDn(i))) << i;
  }
  for (const auto& [name, values] : big.attributes) {
    EXPECT_EQ(name.find(";range="), std::string::npos) << name << " left unmerged";
  }
}

}  // namespace
}  // namespace dirbridge::connector
