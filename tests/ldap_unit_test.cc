// LDAP helpers that need no server: escaping, lookup filters, AD formats.

#include <ldap.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "common/ldap_escape.h"
#include "connector_svc/ldap/attribute_map.h"
#include "connector_svc/ldap/ldap_dn.h"
#include "connector_svc/ldap/ldap_status.h"
#include "connector_svc/ldap/ranged_attribute.h"
#include "connector_svc/ldap/user_filter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dirbridge::connector {
namespace {

using ::testing::HasSubstr;

TEST(EscapeTest, FilterValuesPerRfc4515) {
  EXPECT_EQ(EscapeFilterValue("a*b(c)d\\e"), "a\\2ab\\28c\\29d\\5ce");
  EXPECT_EQ(EscapeFilterValue(std::string("x\0y", 3)), "x\\00y");
  EXPECT_EQ(EscapeFilterValue(",+\"<>;= plain"), ",+\"<>;= plain");
  // Escaping is not idempotent, which is why it happens exactly once: an
  // escaped value escaped again no longer matches the original.
  EXPECT_EQ(EscapeFilterValue(EscapeFilterValue("*")), "\\5c2a");
}

TEST(EscapeTest, DnValuesPerRfc4514) {
  EXPECT_EQ(EscapeDnValue("a,b+c\"d\\e<f>g;h=i"), "a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\=i");
  EXPECT_EQ(EscapeDnValue("#lead"), "\\#lead");
  EXPECT_EQ(EscapeDnValue(" both "), "\\ both\\ ");
  EXPECT_EQ(EscapeDnValue("mid # dle"), "mid # dle");
  EXPECT_EQ(EscapeDnValue(std::string("n\0l", 3)), "n\\00l");
  // Found by tests/fuzz/ldap_escape_fuzzer: libldap dropped a leading CR or
  // tab (as it drops spaces), so "\rx" reached the server as "x".
  EXPECT_EQ(EscapeDnValue("\rx\t"), "\\0dx\\09");
  // What EscapeDnValue makes is a DN libldap parses, whatever went in.
  for (const std::string& v : {std::string("*()\\,+\"<>;="), std::string(" #x "),
                               std::string("a\0b", 3)}) {
    EXPECT_TRUE(ValidateDn("cn=" + EscapeDnValue(v) + ",dc=x", "dn").ok()) << v;
  }
}

TEST(DnTest, Validation) {
  EXPECT_TRUE(ValidateDn("dc=example,dc=com", "base_dn").ok());
  EXPECT_EQ(ValidateDn("", "base_dn").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateDn("not a dn", "base_dn").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateDn("cn=a,=b", "base_dn").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ValidateDn("x", "group_dn").message()), HasSubstr("group_dn"));
  EXPECT_EQ(NormalizeDn("CN=Alice,DC=Example,DC=COM"), NormalizeDn("cn=alice, dc=example,dc=com"));
}

// "Is under" as LDAP compares DNs, not as strings end.
bool Under(const std::string& dn, const std::string& base) {
  absl::StatusOr<ParsedDn> d = ParseDn(dn, "dn");
  absl::StatusOr<ParsedDn> b = ParseDn(base, "base");
  EXPECT_TRUE(d.ok()) << dn << ": " << d.status();
  EXPECT_TRUE(b.ok()) << base << ": " << b.status();
  return d.ok() && b.ok() && IsUnder(*d, *b);
}

TEST(DnTest, UnderComparesParsedRdns) {
  EXPECT_TRUE(Under("dc=example,dc=com", "dc=example,dc=com"));
  EXPECT_TRUE(Under("ou=people,dc=example,dc=com", "dc=example,dc=com"));
  EXPECT_FALSE(Under("dc=com", "dc=example,dc=com"));
  EXPECT_FALSE(Under("dc=evil,dc=com", "dc=example,dc=com"));
  // A string suffix is not a parent: this one ends in "example,dc=com".
  EXPECT_FALSE(Under("ou=x,dc=notexample,dc=com", "dc=example,dc=com"));
  // An escaped comma is part of a value: this is one entry, ou="x,dc=evil",
  // right under dc=com, and not under dc=evil,dc=com, which its string
  // ends with.
  EXPECT_TRUE(Under("ou=x\\,dc=evil,dc=com", "dc=com"));
  EXPECT_FALSE(Under("ou=x\\,dc=evil,dc=com", "dc=evil,dc=com"));
  EXPECT_FALSE(Under("dc=example\\,dc=com", "dc=com"));  // one RDN, no parent
  EXPECT_FALSE(Under("ou=a,dc=example\\,dc=com", "dc=example,dc=com"));
  // Hex escapes decode: \2C is a comma too, \65 an "e".
  EXPECT_TRUE(Under("ou=x,dc=\\65xample,dc=com", "dc=example,dc=com"));
  EXPECT_FALSE(Under("ou=x\\2Cdc=evil,dc=com", "dc=evil,dc=com"));
  // Types and values compare without case, spaces around separators and
  // insignificant spaces in values do not count.
  EXPECT_TRUE(Under("OU=People, DC=Example, DC=COM", "dc=example,dc=com"));
  EXPECT_TRUE(Under("ou=a,dc=my  company,dc=com", "dc=My Company,dc=com"));
  EXPECT_TRUE(Under("ou=a,2.5.4.11=Corp,dc=com", "ou=corp,dc=com"));
  EXPECT_FALSE(Under("ou=a,dc=mycompany,dc=com", "dc=my company,dc=com"));
  // A multi-valued RDN is a set: order inside it does not count, and every
  // value must match.
  EXPECT_TRUE(Under("uid=a,cn=x+sn=y,dc=com", "sn=y+cn=x,dc=com"));
  EXPECT_FALSE(Under("uid=a,cn=x,dc=com", "cn=x+sn=y,dc=com"));
  EXPECT_FALSE(Under("uid=a,cn=x+sn=y,dc=com", "cn=x,dc=com"));
  EXPECT_FALSE(Under("cn=x+sn=y,dc=com", "sn=y,dc=com"));
  // A hex value is its bytes, never equal to a string spelling of them.
  EXPECT_FALSE(Under("ou=a,dc=#04034e6574,dc=com", "dc=Net,dc=com"));
  EXPECT_EQ(ParseDn("dc=example,,dc=com", "base_dn").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A fake server for the range loop: what each read of "member;range=N-*"
// sends, by N.
class FakeRanges {
 public:
  RangeFetch Fetch() {
    return [this](uint64_t low) -> absl::StatusOr<RangeSlices> {
      ++reads_;
      auto it = answers_.find(low);
      if (it == answers_.end()) return RangeSlices{};
      return it->second;
    };
  }
  void Answer(uint64_t low, std::string description, std::vector<std::string> values) {
    answers_[low] = {{std::move(description), std::move(values)}};
  }
  int reads() const { return reads_; }

 private:
  std::map<uint64_t, RangeSlices> answers_;
  int reads_ = 0;
};

TEST(RangeTest, ReadsSlicesToTheLast) {
  FakeRanges server;
  server.Answer(2, "member;range=2-3", {"c", "d"});
  server.Answer(4, "member;range=4-*", {"e"});
  std::vector<std::string> values = {"a", "b"};
  absl::Status st = ReadRangedValues(*ParseAttributeRange("member;range=0-1"), server.Fetch(),
                                     &values);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_THAT(values, ::testing::ElementsAre("a", "b", "c", "d", "e"));
  // An empty last slice ends it too.
  FakeRanges empty_last;
  empty_last.Answer(2, "member;range=2-*", {});
  values = {"a", "b"};
  EXPECT_TRUE(ReadRangedValues(*ParseAttributeRange("member;range=0-1"), empty_last.Fetch(),
                               &values).ok());
}

TEST(RangeTest, ASliceThatDoesNotAdvanceIsAnError) {
  std::vector<std::string> values;
  AttributeRange first = *ParseAttributeRange("member;range=0-1");
  // The same slice again: without the check, a loop for ever.
  FakeRanges repeat;
  repeat.Answer(2, "member;range=0-1", {"a", "b"});
  absl::Status st = ReadRangedValues(first, repeat.Fetch(), &values);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(st.message()), HasSubstr("range 0-1"));
  EXPECT_EQ(repeat.reads(), 1);
  // A gap, an empty slice that is not the last, no slice at all.
  FakeRanges gap;
  gap.Answer(2, "member;range=5-*", {"x"});
  EXPECT_EQ(ReadRangedValues(first, gap.Fetch(), &values).code(), absl::StatusCode::kDataLoss);
  FakeRanges empty;
  empty.Answer(2, "member;range=2-3", {});
  st = ReadRangedValues(first, empty.Fetch(), &values);
  EXPECT_THAT(std::string(st.message()), HasSubstr("empty range 2-3"));
  FakeRanges none;
  st = ReadRangedValues(first, none.Fetch(), &values);
  EXPECT_THAT(std::string(st.message()), HasSubstr("sent no range"));
  // Another attribute's slice is not this one's.
  FakeRanges other;
  other.Answer(2, "memberof;range=2-*", {"x"});
  EXPECT_FALSE(ReadRangedValues(first, other.Fetch(), &values).ok());
}

TEST(RangeTest, SlicesAreCapped) {
  // A server that always has one more value: the cap ends it.
  RangeFetch endless = [](uint64_t low) -> absl::StatusOr<RangeSlices> {
    return RangeSlices{{absl::StrCat("member;range=", low, "-", low), {"v"}}};
  };
  std::vector<std::string> values;
  absl::Status st =
      ReadRangedValues(*ParseAttributeRange("member;range=0-0"), endless, &values, 50);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(st.message()), HasSubstr("more than 50 ranges"));
  EXPECT_EQ(values.size(), 49u);
  EXPECT_EQ(kMaxAttributeRanges, 10000);
}

TEST(Utf8Test, RejectsWhatLdapStringsCannotHold) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("Ünïcødé ✓ 𝄞"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));      // cut short
}

TEST(RangeTest, ParsesAdRangedAttributes) {
  auto r = ParseAttributeRange("member;range=0-1499");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->attribute, "member");
  EXPECT_EQ(r->low, 0u);
  EXPECT_EQ(r->high, 1499u);
  r = ParseAttributeRange("Member;Range=1500-*");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->attribute, "member");
  EXPECT_FALSE(r->high.has_value());
  EXPECT_FALSE(ParseAttributeRange("member").has_value());
  EXPECT_FALSE(ParseAttributeRange("member;range=9-3").has_value());
  EXPECT_FALSE(ParseAttributeRange("member;binary").has_value());
}

TEST(AttributeMapTest, ObjectGuidStringForm) {
  std::string guid;
  for (int i = 1; i <= 16; ++i) guid.push_back(static_cast<char>(i));
  EXPECT_EQ(FormatObjectGuid(guid), "04030201-0605-0807-090a-0b0c0d0e0f10");
}

TEST(AttributeMapTest, ActiveDirectoryUserFields) {
  auto map = ResolveAttributeMap(LdapProfile::kActiveDirectory, {});
  ASSERT_TRUE(map.ok());
  LdapEntry e;
  e.dn = "CN=Alice,OU=Staff,DC=corp,DC=example";
  std::string guid(16, '\x11');
  e.attributes["objectguid"] = {guid};
  e.attributes["samaccountname"] = {"alice"};
  e.attributes["userprincipalname"] = {"alice@corp.example"};
  e.attributes["useraccountcontrol"] = {"514"};  // NORMAL_ACCOUNT | ACCOUNTDISABLE
  e.attributes["memberof"] = {"CN=G1,DC=corp,DC=example", "CN=G2,DC=corp,DC=example"};
  e.attributes["cn"] = {"Alice"};
  v1::User u = map->ToUser(e);
  EXPECT_EQ(u.id(), "11111111-1111-1111-1111-111111111111");
  EXPECT_EQ(u.username(), "alice");
  EXPECT_EQ(u.user_principal_name(), "alice@corp.example");
  EXPECT_TRUE(u.disabled());
  EXPECT_EQ(u.display_name(), "Alice");  // falls back to cn
  EXPECT_EQ(u.groups_size(), 2);
  e.attributes["useraccountcontrol"] = {"512"};
  EXPECT_FALSE(map->ToUser(e).disabled());
}

TEST(AttributeMapTest, OverridesAndUnknownKeys) {
  auto map = ResolveAttributeMap(LdapProfile::kOpenLdap, {{"email", "otherMail"}});
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->email, "otherMail");
  auto bad = ResolveAttributeMap(LdapProfile::kOpenLdap, {{"emial", "x"}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("ldap.attributes.emial"));
}

TEST(UserFilterTest, NameFormsAndEscaping) {
  auto ad = *ResolveAttributeMap(LdapProfile::kActiveDirectory, {});
  auto ol = *ResolveAttributeMap(LdapProfile::kOpenLdap, {});
  EXPECT_EQ(*UserLookupFilter(ad, "alice"),
            "(&(&(objectCategory=person)(objectClass=user))(sAMAccountName=alice))");
  EXPECT_EQ(*UserLookupFilter(ol, "alice@example.com"),
            "(&(|(objectClass=inetOrgPerson)(objectClass=posixAccount))"
            "(|(uid=alice@example.com)(uid=alice)))");
  EXPECT_THAT(*UserLookupFilter(ad, "alice@corp.example"),
              HasSubstr("(userPrincipalName=alice@corp.example)"));
  EXPECT_THAT(*UserLookupFilter(ad, "CORP\\alice"), HasSubstr("(sAMAccountName=alice)"));
  EXPECT_THAT(*UserLookupFilter(ol, "alice@example.com"), HasSubstr("(uid=alice)"));
  std::string f = *UserLookupFilter(ol, "admin)(|(uid=*)");
  EXPECT_THAT(f, HasSubstr("(uid=admin\\29\\28|\\28uid=\\2a\\29)"));
  EXPECT_EQ(UserLookupFilter(ol, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UserLookupFilter(ol, std::string(1025, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UserLookupFilter(ol, "bad\xff").status().code(), absl::StatusCode::kInvalidArgument);
}

// AD refusing a simple bind in clear (code 8, "BindSimple: Transport
// encryption required."): the message names the fix, not only the code.
TEST(LdapStatusTest, StrongAuthRequiredNamesLdapsAndStartTls) {
  for (int rc : {LDAP_STRONG_AUTH_REQUIRED, LDAP_CONFIDENTIALITY_REQUIRED}) {
    absl::Status st = LdapStatus(rc, "service account bind as \"cn=svc\" at ldap://dc1",
                                 "BindSimple: Transport encryption required.");
    EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(st.message(), HasSubstr("Transport encryption required"));
    EXPECT_THAT(st.message(), HasSubstr("requires an encrypted connection"));
    EXPECT_THAT(st.message(), HasSubstr("ldap.tls: ldaps"));
    EXPECT_THAT(st.message(), HasSubstr("ldap.tls: starttls"));
  }
  EXPECT_THAT(LdapStatus(LDAP_INVALID_CREDENTIALS, "bind", "").message(),
              ::testing::Not(HasSubstr("encrypted")));
}

}  // namespace
}  // namespace dirbridge::connector
