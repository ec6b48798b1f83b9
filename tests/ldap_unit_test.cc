// LDAP helpers that need no server: escaping, lookup filters, AD formats.

#include "common/ldap_escape.h"
#include "connector_svc/ldap/attribute_map.h"
#include "connector_svc/ldap/ldap_dn.h"
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

}  // namespace
}  // namespace dirbridge::connector
