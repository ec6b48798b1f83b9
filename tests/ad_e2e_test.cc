// Active Directory end to end: real cloud_svc and connector_svc processes
// against a real Samba AD DC (tests/harness/samba_dc.h: the fixture
// samba_dc starts one per run; these tests take turns on it).

#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/ad_fixture.h"

namespace dirbridge::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

TEST_F(AdTest, BrowseNamingContextsOusAndGroups) {
  Start();
  v1::ListNamingContextsResponse nc;
  grpc::Status st = cloud_.directory().ListNamingContexts(Ctx(tenant_.token).get(), {}, &nc);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(nc.default_naming_context(), kBase);
  EXPECT_THAT(nc.naming_contexts(),
              AllOf(Contains(kBase), Contains(absl::StrCat("CN=Configuration,", kBase))));

  v1::ListOrganizationalUnitsRequest oreq;
  oreq.set_base_dn(kBase);
  v1::ListOrganizationalUnitsResponse ous;
  st = cloud_.directory().ListOrganizationalUnits(Ctx(tenant_.token).get(), oreq, &ous);
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::map<std::string, std::string> ou_names;
  for (const auto& u : ous.units()) ou_names[u.dn()] = u.name();
  EXPECT_EQ(ou_names[absl::StrCat("OU=People,", kBase)], "People");
  EXPECT_EQ(ou_names[absl::StrCat("OU=Dept0,OU=People,", kBase)], "Dept0");
  EXPECT_EQ(ou_names[absl::StrCat("OU=Domain Controllers,", kBase)], "Domain Controllers");

  v1::ListGroupsRequest greq;
  greq.set_base_dn(absl::StrCat("OU=Groups,", kBase));
  v1::ListGroupsResponse groups;
  st = cloud_.directory().ListGroups(Ctx(tenant_.token).get(), greq, &groups);
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::set<std::string> names;
  for (const auto& g : groups.groups()) names.insert(g.name());
  EXPECT_THAT(names, UnorderedElementsAre("inner", "outer", "big"));
  // AD's built-in groups, found by prefix under the whole domain.
  greq.set_base_dn(kBase);
  greq.set_name_prefix("Domain Adm");
  st = cloud_.directory().ListGroups(Ctx(tenant_.token).get(), greq, &groups);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(groups.groups_size(), 1);
  EXPECT_EQ(groups.groups(0).dn(), absl::StrCat("CN=Domain Admins,CN=Users,", kBase));
}

TEST_F(AdTest, GetUserBySamAccountNameUpnAndDomainBackslashName) {
  Start();
  for (const std::string& name :
       {std::string("alice"), std::string("alice@dirbridge.test"),
        absl::StrCat(SambaDc::kDomain, "\\alice"), std::string("ALICE")}) {
    v1::User u;
    grpc::Status st = GetUser(name, &u);
    ASSERT_TRUE(st.ok()) << name << ": " << st.error_message();
    EXPECT_EQ(u.dn(), SambaDc::PeopleDn("alice")) << name;
    EXPECT_EQ(u.username(), "alice");
    EXPECT_EQ(u.user_principal_name(), "alice@dirbridge.test");
    EXPECT_EQ(u.email(), "alice@dirbridge.test");
    EXPECT_EQ(u.display_name(), "Alice Liddell");
    EXPECT_FALSE(u.disabled());
    EXPECT_THAT(u.groups(), Contains(SambaDc::GroupDn("inner")));
  }
  v1::User u;
  EXPECT_EQ(GetUser("nosuchuser", &u).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(GetUser("disabled", &u).ok());
  EXPECT_TRUE(u.disabled());
  ASSERT_TRUE(GetUser("carol", &u).ok());
  EXPECT_FALSE(u.disabled());
}

TEST_F(AdTest, IdIsTheObjectGuidInItsRegistryForm) {
  Start();
  v1::User u;
  ASSERT_TRUE(GetUser("alice", &u).ok());
  // 8-4-4-4-12 lower-case hex, the first three groups byte-swapped from
  // the wire form: the DC itself finds the entry by it (<GUID=...>).
  ASSERT_THAT(u.id(), ::testing::MatchesRegex(
                          "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
  absl::StatusOr<std::string> found =
      dc_.Admin("ldapsearch", {"-LLL", "-b", absl::StrCat("<GUID=", u.id(), ">"), "-s", "base",
                               "(objectClass=*)", "1.1"});
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(*found, HasSubstr(absl::StrCat("dn: ", SambaDc::PeopleDn("alice"))));
  v1::User carol;
  ASSERT_TRUE(GetUser("carol", &carol).ok());
  EXPECT_NE(carol.id(), u.id());
}

TEST_F(AdTest, NestedGroupsAreFollowedInChain) {
  Start();
  EXPECT_THAT(UsernamesIn(SambaDc::GroupDn("inner")), UnorderedElementsAre("alice", "carol"));
  // outer holds inner (a group) and dave: the DC walks the chain.
  EXPECT_THAT(UsernamesIn(SambaDc::GroupDn("outer")),
              UnorderedElementsAre("alice", "carol", "dave"));
}

TEST_F(AdTest, GroupOfMoreThan1500MembersComesWhole) {
  Start();
  std::set<std::string> names = UsernamesIn(SambaDc::GroupDn("big"));
  EXPECT_EQ(names.size(), static_cast<size_t>(SambaDc::kBulkUsers));
  EXPECT_TRUE(names.contains(SambaDc::BulkName(1)));
  EXPECT_TRUE(names.contains(SambaDc::BulkName(SambaDc::kBulkUsers)));
}

TEST_F(AdTest, ImportLargerThanMaxPageSizeWithALargerPageAskedFor) {
  Start({"--import_page_size=5000"});
  std::string bulk = absl::StrCat("OU=Bulk,", kBase);
  std::vector<v1::User> users;
  grpc::Status st = SearchUsers(bulk, "", 5000, &users);
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::set<std::string> ids;
  for (const v1::User& u : users) ids.insert(u.id());
  EXPECT_EQ(ids.size(), static_cast<size_t>(SambaDc::kBulkUsers));
  EXPECT_EQ(users.size(), static_cast<size_t>(SambaDc::kBulkUsers));

  std::string m = CreateMapping(bulk);
  v1::ImportReport r;
  st = Import(m, false, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.added(), static_cast<uint64_t>(SambaDc::kBulkUsers));
  auto imported = Imported(m);
  EXPECT_EQ(imported.size(), static_cast<size_t>(SambaDc::kBulkUsers));
  EXPECT_EQ(imported[SambaDc::BulkName(1500)].display_name(), "Bulk 1500");
}

TEST_F(AdTest, AuthenticateTypesAdDataCodes) {
  Start();
  v1::AuthenticateResponse ok;
  EXPECT_EQ(Login("alice", SambaDc::Password("alice"), &ok), v1::AUTH_RESULT_OK);
  EXPECT_EQ(ok.user().dn(), SambaDc::PeopleDn("alice"));
  EXPECT_EQ(Login("alice@dirbridge.test", SambaDc::Password("alice")), v1::AUTH_RESULT_OK);
  EXPECT_EQ(Login("DIRBRIDGE\\alice", SambaDc::Password("alice")), v1::AUTH_RESULT_OK);
  // data 52e
  EXPECT_EQ(Login("carol", "AdPw-wrong-1"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(Login("nosuchuser", "AdPw-wrong-1"), v1::AUTH_RESULT_INVALID_CREDENTIALS);
  // data 533, 701, 532, 773: the right password, refused for the
  // account's state.
  EXPECT_EQ(Login("disabled", SambaDc::Password("disabled")), v1::AUTH_RESULT_ACCOUNT_DISABLED);
  EXPECT_EQ(Login("expired", SambaDc::Password("expired")), v1::AUTH_RESULT_ACCOUNT_EXPIRED);
  EXPECT_EQ(Login("pwexpired", SambaDc::Password("pwexpired")),
            v1::AUTH_RESULT_PASSWORD_EXPIRED);
  EXPECT_EQ(Login("mustchange", SambaDc::Password("mustchange")),
            v1::AUTH_RESULT_MUST_CHANGE_PASSWORD);
  // data 775: the domain's lockout threshold reached, even the right
  // password is refused. A user of this run's own: a lockout lasts 30 min.
  std::string lockme = Fresh("lock");
  AddPasswordUser(lockme);
  EXPECT_EQ(Login(lockme, SambaDc::Password(lockme)), v1::AUTH_RESULT_OK);
  for (int i = 0; i < SambaDc::kLockoutThreshold; ++i) {
    EXPECT_EQ(Login(lockme, "AdPw-wrong-1"), v1::AUTH_RESULT_INVALID_CREDENTIALS) << i;
  }
  EXPECT_EQ(Login(lockme, SambaDc::Password(lockme)), v1::AUTH_RESULT_ACCOUNT_LOCKED);
}

TEST_F(AdTest, IncrementalImportOnUsnChangedReadsExactlyTheChangedEntries) {
  Start();
  std::string ou = AddOu(Fresh("Inc"), {"inc1", "inc2", "inc3", "inc4"});
  std::string m = CreateMapping(ou);
  v1::ImportReport r;
  ASSERT_TRUE(Import(m, false, &r).ok());
  ASSERT_EQ(r.added(), 4u);
  ASSERT_TRUE(dc_.Admin("ldapmodify", {}, absl::StrCat(
      "dn: CN=inc2,", ou, "\nchangetype: modify\nreplace: mail\nmail: inc2@new.test\n\n",
      "dn: CN=inc3,", ou, "\nchangetype: modify\nreplace: displayName\ndisplayName: Three\n"))
                  .ok());
  grpc::Status st = Import(m, true, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(r.incremental());
  EXPECT_EQ(r.added() + r.updated() + r.unchanged(), 2u);
  EXPECT_EQ(r.updated(), 2u);
  auto users = Imported(m);
  EXPECT_EQ(users["inc2"].email(), "inc2@new.test");
  EXPECT_EQ(users["inc3"].display_name(), "Three");
  ASSERT_TRUE(Import(m, true, &r).ok());
  EXPECT_EQ(r.added() + r.updated() + r.unchanged(), 0u);
  ASSERT_TRUE(dc_.Admin("ldapadd", {}, absl::StrCat("dn: CN=inc5,", ou,
                                                   "\nobjectClass: user\nsAMAccountName: inc5\n"
                                                   "userAccountControl: 544\n"))
                  .ok());
  ASSERT_TRUE(Import(m, true, &r).ok());
  EXPECT_EQ(r.added(), 1u);
  EXPECT_EQ(r.updated() + r.unchanged(), 0u);
}

// AD keeps memberOf on the group's side: adding a user to a group moves
// the group's uSNChanged, not the user's. An incremental run must still see
// the user join the mapping's group, and the new group in the user's list.
TEST_F(AdTest, IncrementalImportSeesGroupMembershipChanges) {
  Start();
  std::string tag = Fresh("Grp");
  std::string ou = AddOu(tag, {"grp1", "grp2", "grp3"});
  std::string team = absl::StrCat("CN=team,", ou), team2 = absl::StrCat("CN=team2,", ou);
  ASSERT_TRUE(dc_.Admin("ldapadd", {}, absl::StrCat(
      "dn: ", team, "\nobjectClass: group\nsAMAccountName: t1-", tag, "\nmember: CN=grp1,", ou,
      "\n\ndn: ", team2, "\nobjectClass: group\nsAMAccountName: t2-", tag, "\n")).ok());
  // grp1's change is the newest: the full run's watermark is past every
  // entry above, grp2 included.
  ASSERT_TRUE(dc_.Admin("ldapmodify", {}, absl::StrCat("dn: CN=grp1,", ou, "\nchangetype: modify\n"
                                                      "replace: description\ndescription: x\n"))
                  .ok());
  std::string m = CreateMapping(ou, {team});
  v1::ImportReport r;
  ASSERT_TRUE(Import(m, false, &r).ok());
  ASSERT_EQ(r.added(), 1u);

  auto add_member = [&](const std::string& group, const std::string& user) {
    return dc_.Admin("ldapmodify", {}, absl::StrCat("dn: ", group, "\nchangetype: modify\n"
                                                    "add: member\nmember: CN=", user, ",", ou,
                                                    "\n")).ok();
  };
  ASSERT_TRUE(add_member(team, "grp2"));
  grpc::Status st = Import(m, true, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(r.incremental());
  EXPECT_EQ(r.added(), 1u);
  EXPECT_EQ(Imported(m).count("grp2"), 1u);

  ASSERT_TRUE(add_member(team2, "grp1"));
  ASSERT_TRUE(Import(m, true, &r).ok());
  EXPECT_EQ(r.updated(), 1u);
  EXPECT_THAT(Imported(m)["grp1"].groups(), Contains(team2));
  // The watermark has moved past the groups' changes: nothing to read.
  ASSERT_TRUE(Import(m, true, &r).ok());
  EXPECT_EQ(r.added() + r.updated() + r.unchanged(), 0u);
}

TEST_F(AdTest, FullRunMarksADeletedUser) {
  Start();
  std::string ou = AddOu(Fresh("Gone"), {"gone1", "gone2", "gone3"});
  std::string m = CreateMapping(ou);
  v1::ImportReport r;
  ASSERT_TRUE(Import(m, false, &r).ok());
  ASSERT_EQ(r.added(), 3u);
  ASSERT_TRUE(dc_.Admin("ldapdelete", {absl::StrCat("CN=gone2,", ou)}).ok());
  // A deleted object is a tombstone under CN=Deleted Objects: an
  // incremental run (uSNChanged) does not see it go.
  ASSERT_TRUE(Import(m, true, &r).ok());
  EXPECT_EQ(r.not_in_directory(), 0u);
  ASSERT_TRUE(Import(m, false, &r).ok());
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.not_in_directory(), 1u);
  EXPECT_EQ(r.unchanged(), 2u);
  auto users = Imported(m);
  EXPECT_EQ(users["gone2"].state(), v1::USER_STATE_NOT_IN_DIRECTORY);
  EXPECT_EQ(users["gone1"].state(), v1::USER_STATE_ACTIVE);
}

TEST_F(AdTest, CheckCommandPassesAgainstTheDc) {
  Start();
  int code = -1;
  std::string out = Check(&code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("ldap connect + bind + rootDSE: ok"));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("users under ", kBase, ": ok (")));
}

// Samba's default (and Windows Server's with LDAP signing enforced):
// `ldap server require strong auth = yes`, no simple bind in clear.
TEST_F(AdTest, PlainLdapSimpleBindIsRefusedAndTheErrorNamesTheFix) {
  Start();
  ConnectorSvc::Ldap plain;
  plain.uris = {dc_.ldap_uri()};
  plain.tls = "none";
  connector_->SetLdap(plain);
  int code = -1;
  std::string out = Check(&code);
  EXPECT_NE(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("requires an encrypted connection"));
  EXPECT_THAT(out, HasSubstr("ldaps://"));
  EXPECT_THAT(out, HasSubstr("starttls"));

  // The running connector answers a lookup with the same explanation.
  connector_->Kill();
  absl::Status st = stack_.RunConnector();
  ASSERT_TRUE(st.ok()) << st;
  v1::User u;
  grpc::Status gst = GetUser("alice", &u);
  EXPECT_EQ(gst.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << gst.error_message();
  EXPECT_THAT(gst.error_message(), HasSubstr("requires an encrypted connection"));

  // StartTLS on the same port is the fix.
  ConnectorSvc::Ldap starttls = plain;
  starttls.tls = "starttls";
  starttls.ca_file = dc_.ca_file();
  connector_->SetLdap(starttls);
  out = Check(&code);
  EXPECT_EQ(code, 0) << out;
}

}  // namespace
}  // namespace dirbridge::testing
