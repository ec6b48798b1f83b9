// common/dn: RFC 4514 DNs parsed for comparison.

#include "common/dn.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dirbridge::dn {
namespace {

using ::testing::HasSubstr;

Dn MustParse(absl::string_view s) {
  absl::StatusOr<Dn> d = Parse(s);
  EXPECT_TRUE(d.ok()) << s << ": " << d.status();
  return d.ok() ? *d : Dn{};
}

TEST(DnTest, SplitsOnUnescapedCommasOnly) {
  Dn d = MustParse(R"(cn=x\,ou=People,dc=example,dc=com)");
  ASSERT_EQ(d.rdns.size(), 3u);
  EXPECT_EQ(d.rdns[0], (Dn::Rdn{{"cn", "x,ou=people"}}));
  EXPECT_EQ(d.rdns[1], (Dn::Rdn{{"dc", "example"}}));
}

TEST(DnTest, AnEscapedCommaCannotPutAnEntryUnderAnotherBranch) {
  // As strings it ends in ",ou=People,dc=example,dc=com"; as a DN it is a
  // child of dc=example,dc=com.
  EXPECT_FALSE(IsUnder(R"(cn=x\,ou=People,dc=example,dc=com)", "ou=People,dc=example,dc=com"));
  EXPECT_FALSE(IsUnder(R"(cn=x\2Cou=People,dc=example,dc=com)", "ou=People,dc=example,dc=com"));
  EXPECT_TRUE(IsUnder(R"(cn=x\,ou=People,dc=example,dc=com)", "dc=example,dc=com"));
  EXPECT_TRUE(IsUnder("cn=x,ou=People,dc=example,dc=com", "ou=People,dc=example,dc=com"));
}

TEST(DnTest, TypesAndValuesCompareWithoutCase) {
  EXPECT_TRUE(Equal("CN=Alice Smith,OU=People,DC=Example,DC=Com",
                    "cn=alice smith,ou=people,dc=example,dc=com"));
  EXPECT_TRUE(IsUnder("uid=a,OU=People,DC=EXAMPLE,DC=COM", "ou=people,dc=example,dc=com"));
  EXPECT_FALSE(Equal("cn=alice,dc=example", "cn=alicia,dc=example"));
}

TEST(DnTest, SpacesAroundSeparatorsAndRunsOfSpacesDoNotCount) {
  EXPECT_TRUE(Equal("cn = Alice  Smith , ou=People ,dc=example",
                    "cn=alice smith,ou=people,dc=example"));
  // An escaped space at the end is one the directory compares away too.
  EXPECT_TRUE(Equal(R"(cn=alice\ ,dc=example)", "cn=alice,dc=example"));
  EXPECT_FALSE(Equal("cn=alicesmith,dc=example", "cn=alice smith,dc=example"));
}

TEST(DnTest, HexEscapesAndSpecialEscapesDecode) {
  EXPECT_TRUE(Equal(R"(cn=J\C3\BCrgen,dc=example)", "cn=J\xC3\xBCrgen,dc=example"));
  EXPECT_TRUE(Equal(R"(cn=a\+b\=c\"d\\e,dc=x)", R"(cn=a\2Bb=c\22d\5Ce,dc=x)"));
  EXPECT_EQ(MustParse(R"(cn=a\+b,dc=x)").rdns[0], (Dn::Rdn{{"cn", "a+b"}}));
}

TEST(DnTest, AMultiValuedRdnIsASet) {
  Dn d = MustParse("cn=alice+uid=a1,dc=example");
  ASSERT_EQ(d.rdns.size(), 2u);
  EXPECT_EQ(d.rdns[0], (Dn::Rdn{{"cn", "alice"}, {"uid", "a1"}}));
  EXPECT_TRUE(Equal("uid=a1+cn=alice,dc=example", "cn=alice+uid=a1,dc=example"));
  // One RDN of two values is not two RDNs.
  EXPECT_FALSE(IsUnder("cn=alice+uid=a1,dc=example", "uid=a1,dc=example"));
}

TEST(DnTest, OidsAndHexValuesKeepTheirForm) {
  EXPECT_TRUE(Equal("2.5.4.3=alice,dc=x", "OID.2.5.4.3=Alice,dc=x"));
  EXPECT_FALSE(Equal("2.5.4.3=alice,dc=x", "cn=alice,dc=x"));  // unequal: refuse, never admit
  EXPECT_TRUE(Equal("cn=#04024869,dc=x", "cn=#04024869,DC=X"));
}

// Found by tests/fuzz/dn_fuzzer against libldap: the string "#04026869"
// (escaped '#') and the BER value #04026869 ("hi") were one value, so a
// user of ou=hi counted as inside a mapping of ou=\#04026869.
TEST(DnTest, AHexValueIsNeverTheStringThatReadsTheSame) {
  EXPECT_FALSE(Equal("cn=#04024869,dc=x", R"(cn=\#04024869,dc=x)"));
  EXPECT_FALSE(IsUnder("cn=u,ou=#04026869,dc=x", R"(ou=\#04026869,dc=x)"));
  EXPECT_TRUE(MustParse("cn=#04024869").rdns[0][0].hex);
  EXPECT_FALSE(MustParse(R"(cn=\#04024869)").rdns[0][0].hex);
}

// Found by tests/fuzz/dn_fuzzer against libldap: libldap (and so slapd)
// skips a tab, CR or LF around a value as it skips spaces; dn::Parse read
// "cn=\n#0400" as a string, where the server reads the #hex value.
TEST(DnTest, TabsAndNewlinesAroundAValueAreSpacesAsForTheServer) {
  EXPECT_TRUE(Equal("cn=\tc\r ,dc=x", "cn=c,dc=x"));
  EXPECT_TRUE(MustParse("cn=\n#0400").rdns[0][0].hex);
  EXPECT_FALSE(Equal("cn=\n#0400", R"(cn=\0a#0400)"));
  // Matching maps them to spaces wherever they are (RFC 4518 2.2): libldap
  // keeps a trailing tab after an escaped backslash, the server's matching
  // drops it as a space.
  EXPECT_TRUE(Equal(R"(cn=a\09b,dc=x)", "cn=a b,dc=x"));
  EXPECT_TRUE(Equal("cn=a\\\\\t,dc=x", R"(cn=a\\,dc=x)"));
}

TEST(DnTest, TheEmptyDnIsTheRoot) {
  EXPECT_TRUE(MustParse("").rdns.empty());
  EXPECT_TRUE(IsUnder("dc=example", ""));
}

TEST(DnTest, MalformedDnsAreRefusedWithWhy) {
  for (absl::string_view bad : {"cn", "cn=a,,dc=x", "=a", "cn=a,", R"(cn=a\)", R"(cn=a\4)",
                                R"(cn=a\qb)", "cn=a;dc=x", "cn=<a>", "c n=a", "1.2.x=a"}) {
    absl::StatusOr<Dn> d = Parse(bad);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(std::string(Parse("cn=a,,dc=x").status().message()), HasSubstr("cn=a,,dc=x"));
  EXPECT_FALSE(IsUnder("cn=a,,dc=x", "dc=x"));
  EXPECT_THAT(std::string(Parse(std::string(kMaxDnBytes + 1, 'a')).status().message()),
              HasSubstr("4096"));
}

}  // namespace
}  // namespace dirbridge::dn
