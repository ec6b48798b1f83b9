// Directory lookups end to end against a generated 10,000-user slapd: every
// answer is compared with what ldapsearch returns for the same query.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/sync_stream.h>

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/ldap_escape.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/bad_request.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr int kUsers = 10000;
constexpr char kSuffix[] = "dc=example,dc=com";
constexpr char kUserFilter[] = "(|(objectClass=inetOrgPerson)(objectClass=posixAccount))";
constexpr char kGroupFilter[] = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))";
// Filter and DN metacharacters in one name.
const std::string kWeirdUid = "we*ird(na)me\\,+\"<>;=";

std::string WeirdUserDn() {
  return absl::StrCat("uid=", EscapeDnValue(kWeirdUid), ",ou=people,", kSuffix);
}

// The DNs of an ldapsearch -LLL answer.
std::set<std::string> DnsOf(const std::string& ldif) {
  std::set<std::string> out;
  for (absl::string_view line : absl::StrSplit(ldif, '\n')) {
    if (absl::ConsumePrefix(&line, "dn:: ")) {
      std::string dn;
      absl::Base64Unescape(line, &dn);
      out.insert(dn);
    } else if (absl::ConsumePrefix(&line, "dn: ")) {
      out.emplace(line);
    }
  }
  return out;
}

class DirectoryTest : public ::testing::Test {
 protected:
  static SlapdOptions Options() {
    SlapdOptions o;
    o.users = kUsers;
    o.groups = 10;
    o.ous = 8;
    o.extra_ldif = absl::StrCat(
        "dn: ", WeirdUserDn(), "\nobjectClass: inetOrgPerson\nuid: ", kWeirdUid,
        "\ncn: Weird\nsn: Weird\n\n",
        "dn: cn=", EscapeDnValue("g*(x)\\y"), ",ou=groups,", kSuffix,
        "\nobjectClass: groupOfNames\ncn: g*(x)\\y\nmember: ", WeirdUserDn(), "\n\n");
    return o;
  }

  void SetUp() override {
    absl::Status st = stack_.Start(Options());
    ASSERT_TRUE(st.ok()) << st;
  }

  void RunConnector() {
    absl::Status st = stack_.RunConnector();
    ASSERT_TRUE(st.ok()) << st;
  }

  std::set<std::string> LdapDns(const std::string& base, const std::string& filter) {
    absl::StatusOr<std::string> out = slapd_->Search(base, "sub", filter, {"1.1"});
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? DnsOf(*out) : std::set<std::string>{};
  }

  grpc::Status GetUser(const std::string& username, v1::User* user,
                       absl::Duration timeout = absl::Seconds(10)) {
    v1::GetUserRequest req;
    req.set_username(username);
    return cloud_.directory().GetUser(Ctx(tenant_.token, timeout).get(), req, user);
  }

  // All users of a SearchUsers stream; the stream's status.
  grpc::Status SearchUsers(const std::string& base, const std::string& group, uint32_t page,
                           std::vector<v1::User>* users, int* chunks = nullptr) {
    v1::SearchUsersRequest req;
    req.set_base_dn(base);
    req.set_group_dn(group);
    req.set_page_size(page);
    auto ctx = Ctx(tenant_.token, absl::Seconds(60));
    auto reader = cloud_.directory().SearchUsers(ctx.get(), req);
    v1::SearchUsersResponse chunk;
    int n = 0;
    while (reader->Read(&chunk)) {
      ++n;
      // 0 is the connector's ldap.page_size (the harness's 1000).
      EXPECT_LE(chunk.users_size(), static_cast<int>(page == 0 ? 1000 : page));
      EXPECT_GT(chunk.users_size(), 0);
      for (const v1::User& u : chunk.users()) users->push_back(u);
    }
    if (chunks) *chunks = n;
    return reader->Finish();
  }

  Stack stack_;
  std::unique_ptr<Slapd>& slapd_ = stack_.slapd;
  CloudSvc& cloud_ = stack_.cloud;
  Tenant& tenant_ = stack_.tenant;
  std::unique_ptr<ConnectorSvc>& connector_ = stack_.connector;
};

TEST_F(DirectoryTest, OrganizationalUnitsEqualLdapsearch) {
  RunConnector();
  v1::ListOrganizationalUnitsRequest req;
  req.set_base_dn(kSuffix);
  v1::ListOrganizationalUnitsResponse resp;
  grpc::Status st = cloud_.directory().ListOrganizationalUnits(Ctx(tenant_.token).get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::set<std::string> got;
  for (const auto& u : resp.units()) {
    got.insert(u.dn());
    EXPECT_FALSE(u.name().empty()) << u.dn();
  }
  std::set<std::string> want = LdapDns(kSuffix, "(objectClass=organizationalUnit)");
  EXPECT_EQ(want.size(), 2u + 8u);
  EXPECT_EQ(got, want);
}

TEST_F(DirectoryTest, GroupsEqualLdapsearchWithAndWithoutPrefix) {
  RunConnector();
  for (const std::string& prefix : {std::string(), std::string("group1"), std::string("nested")}) {
    v1::ListGroupsRequest req;
    req.set_base_dn(kSuffix);
    req.set_name_prefix(prefix);
    v1::ListGroupsResponse resp;
    grpc::Status st = cloud_.directory().ListGroups(Ctx(tenant_.token).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    std::set<std::string> got;
    for (const auto& g : resp.groups()) got.insert(g.dn());
    std::string filter = prefix.empty() ? kGroupFilter
                                        : absl::StrCat("(&", kGroupFilter, "(cn=", prefix, "*))");
    std::set<std::string> want = LdapDns(kSuffix, filter);
    EXPECT_FALSE(want.empty());
    EXPECT_EQ(got, want) << "prefix=" << prefix;
  }
}

TEST_F(DirectoryTest, SearchUsersStreamsEveryUserExactlyOnceInChunks) {
  RunConnector();
  std::vector<v1::User> users;
  int chunks = 0;
  grpc::Status st = SearchUsers(kSuffix, "", 500, &users, &chunks);
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::set<std::string> got;
  for (const v1::User& u : users) got.insert(u.dn());
  EXPECT_EQ(got.size(), users.size()) << "a user came twice";
  EXPECT_EQ(got, LdapDns(kSuffix, kUserFilter));
  EXPECT_EQ(users.size(), static_cast<size_t>(kUsers + 1));
  EXPECT_GE(chunks, kUsers / 500);
  // Every user carries the stable id the imports key on.
  std::set<std::string> ids;
  for (const v1::User& u : users) ids.insert(u.id());
  EXPECT_EQ(ids.size(), users.size());
  EXPECT_EQ(ids.count(""), 0u);
}

TEST_F(DirectoryTest, SlowReaderHoldsTheConnectorBack) {
  RunConnector();
  v1::SearchUsersRequest req;
  req.set_base_dn(kSuffix);
  req.set_page_size(100);
  // A reader with small HTTP/2 windows, so that what it does not read
  // backs up into the cloud instead of into its own receive buffer.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16384);
  auto stub = v1::Directory::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", cloud_.backend_port()), grpc::InsecureChannelCredentials(),
      args));
  auto ctx = Ctx(tenant_.token, absl::Seconds(60));
  auto reader = stub->SearchUsers(ctx.get(), req);
  v1::SearchUsersResponse chunk;
  ASSERT_TRUE(reader->Read(&chunk));
  // Not reading on: the connector runs out of credit after a few chunks
  // instead of pushing all 100 at the cloud.
  ASSERT_TRUE(WaitFor([&] {
    return connector_->process().Log().find("event=credit_wait") != std::string::npos;
  }, absl::Seconds(10)));
  std::string log = connector_->process().Log();
  size_t at = log.find("event=credit_wait");
  std::string line = log.substr(at, log.find('\n', at) - at);
  int sent = 0;
  ASSERT_TRUE(absl::SimpleAtoi(line.substr(line.find("chunks_sent=") + 12), &sent)) << line;
  EXPECT_LE(sent, 6) << line;
  size_t total = chunk.users_size();
  while (reader->Read(&chunk)) total += chunk.users_size();
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(total, static_cast<size_t>(kUsers + 1));
}

TEST_F(DirectoryTest, SearchUsersOfANestedGroup) {
  RunConnector();
  std::vector<v1::User> users;
  ASSERT_TRUE(SearchUsers(kSuffix, slapd_->GroupDn("nested-outer"), 1000, &users).ok());
  std::vector<std::string> dns;
  for (const v1::User& u : users) dns.push_back(u.dn());
  // Outer holds user 4 and the inner group, which holds users 1..3.
  EXPECT_THAT(dns, UnorderedElementsAre(slapd_->UserDn(1), slapd_->UserDn(2),
                                        slapd_->UserDn(3), slapd_->UserDn(4)));
  users.clear();
  ASSERT_TRUE(SearchUsers(kSuffix, slapd_->GroupDn("group3"), 1000, &users).ok());
  std::set<std::string> got;
  for (const v1::User& u : users) got.insert(u.dn());
  EXPECT_EQ(got, LdapDns(kSuffix, absl::StrCat("(memberOf=", slapd_->GroupDn("group3"), ")")));
  EXPECT_EQ(got.size(), static_cast<size_t>(kUsers / 10));
}

TEST_F(DirectoryTest, GetUserFieldsAndNameForms) {
  RunConnector();
  v1::User u;
  grpc::Status st = GetUser("user00042", &u);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(u.dn(), slapd_->UserDn(42));
  EXPECT_EQ(u.username(), "user00042");
  EXPECT_EQ(u.email(), "user00042@example.com");
  EXPECT_EQ(u.display_name(), "User 42");
  EXPECT_THAT(u.groups(), UnorderedElementsAre(slapd_->GroupDn("group2")));
  absl::StatusOr<std::string> uuid =
      slapd_->Search(slapd_->UserDn(42), "base", "(objectClass=*)", {"entryUUID"});
  ASSERT_TRUE(uuid.ok());
  EXPECT_THAT(*uuid, HasSubstr("entryUUID: " + u.id()));
  EXPECT_FALSE(u.disabled());

  for (const std::string& form : {std::string("user00042@example.com"),
                                  std::string("EXAMPLE\\user00042")}) {
    v1::User other;
    st = GetUser(form, &other);
    ASSERT_TRUE(st.ok()) << form << ": " << st.error_message();
    EXPECT_EQ(other.dn(), u.dn()) << form;
  }
  st = GetUser("nobody-here", &u);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(DirectoryTest, MetacharactersRoundTripAndInjectionFindsNothing) {
  RunConnector();
  v1::User u;
  grpc::Status st = GetUser(kWeirdUid, &u);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(u.username(), kWeirdUid);
  // The server spells the DN its own way (hex escapes); ldapsearch agrees.
  EXPECT_THAT(LdapDns(kSuffix, "(cn=Weird)"), UnorderedElementsAre(u.dn()));

  for (const std::string& attack :
       {std::string("*"), std::string(")(uid=*"), std::string("admin)(|(uid=*)"),
        std::string("\\2a"), std::string("user0004*"), std::string("*)(objectClass=*"),
        std::string("user00042\0x", 11), std::string("we*ird(na)me")}) {
    v1::User found;
    st = GetUser(attack, &found);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND)
        << absl::CEscape(attack) << " found " << found.dn();
  }
  // A prefix is a prefix, not a pattern.
  v1::ListGroupsRequest req;
  req.set_base_dn(kSuffix);
  req.set_name_prefix("*");
  v1::ListGroupsResponse resp;
  ASSERT_TRUE(cloud_.directory().ListGroups(Ctx(tenant_.token).get(), req, &resp).ok());
  EXPECT_EQ(resp.groups_size(), 0);
  req.set_name_prefix("g*(x)\\");
  ASSERT_TRUE(cloud_.directory().ListGroups(Ctx(tenant_.token).get(), req, &resp).ok());
  ASSERT_EQ(resp.groups_size(), 1);
  EXPECT_EQ(resp.groups(0).name(), "g*(x)\\y");
}

TEST_F(DirectoryTest, BadInputIsAClearStatus) {
  RunConnector();
  auto ous = [&](const std::string& base) {
    v1::ListOrganizationalUnitsRequest req;
    req.set_base_dn(base);
    v1::ListOrganizationalUnitsResponse resp;
    return cloud_.directory().ListOrganizationalUnits(Ctx(tenant_.token).get(), req, &resp);
  };
  // An empty base is the connector's configured base_dn; a DN outside it
  // is refused, never read (issue #14: reads stay under base_dn).
  EXPECT_EQ(ous("").error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(ous("this is not a DN").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ous("dc=nowhere,dc=test").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  std::vector<v1::User> users;
  // Unset means default (the connector's ldap.page_size); too large is
  // refused with the bounds, and a BadRequest naming the field.
  ASSERT_TRUE(SearchUsers(kSuffix, "", 0, &users).ok());
  EXPECT_FALSE(users.empty());
  for (uint32_t page : {10001u, 1000000000u}) {
    grpc::Status st = SearchUsers(kSuffix, "", page, &users);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << page;
    EXPECT_THAT(st.error_message(), HasSubstr("from 1 to 10000"));
    EXPECT_THAT(ViolatedFields(st), ::testing::ElementsAre("page_size"));
  }
  EXPECT_EQ(SearchUsers(kSuffix, slapd_->GroupDn("no-such-group"), 10, &users).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(SearchUsers("", "", 10, &users).error_code(), grpc::StatusCode::OK);
  EXPECT_FALSE(users.empty());
  EXPECT_EQ(SearchUsers("dc=nowhere,dc=test", "", 10, &users).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::User u;
  EXPECT_EQ(GetUser("", &u).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetUser(std::string(10000, 'a'), &u).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // And the connector is still fine.
  EXPECT_TRUE(GetUser("user00001", &u).ok());
}

TEST_F(DirectoryTest, FrozenServerMeansDeadlineExceededThenRecovery) {
  RunConnector();
  v1::User u;
  ASSERT_TRUE(GetUser("user00001", &u).ok());  // a pooled connection exists
  slapd_->Freeze();
  absl::Time start = absl::Now();
  grpc::Status st = GetUser("user00002", &u, absl::Milliseconds(800));
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(took, absl::Milliseconds(800 + 300));
  slapd_->Thaw();
  ASSERT_TRUE(WaitFor([&] { return GetUser("user00003", &u, absl::Seconds(5)).ok(); },
                      absl::Seconds(10)));
  EXPECT_EQ(u.username(), "user00003");
}

TEST_F(DirectoryTest, CheckCommandReportsUsersAndFailures) {
  int code = -1;
  absl::StatusOr<std::string> out =
      RunCommand({ConnectorBinary(), "check", "--config", connector_->config_path()}, &code);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(code, 0) << *out;
  EXPECT_THAT(*out, HasSubstr(absl::StrCat("ok (", kUsers + 1, ")")));

  ConnectorSvc::Ldap empty;
  empty.uris = {slapd_->uri()};
  empty.base_dn = absl::StrCat("ou=groups,", kSuffix);
  connector_->SetLdap(empty);
  out = RunCommand({ConnectorBinary(), "check", "--config", connector_->config_path()}, &code);
  EXPECT_EQ(code, 0) << *out;
  EXPECT_THAT(*out, HasSubstr("WARNING: none visible"));

  slapd_->Stop();
  out = RunCommand({ConnectorBinary(), "check", "--config", connector_->config_path()}, &code);
  EXPECT_NE(code, 0) << *out;
  EXPECT_THAT(*out, HasSubstr("FAIL"));
}

}  // namespace
}  // namespace dirbridge::testing
