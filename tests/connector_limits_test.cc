// The connector's budgets against a real slapd, driven through the
// Dispatcher as the tunnel drives it: streams that wait for credit never
// hold what logins and lookups need, and no answer or chunk is ever
// heavier than a frame may be.

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "connector_svc/dispatcher.h"
#include "connector_svc/ldap/ldap_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dispatch_and_wait.h"
#include "tests/harness/slapd.h"
#include "tests/test_call.h"

namespace dirbridge::connector {
namespace {

using ::dirbridge::testing::Slapd;
using ::dirbridge::testing::SlapdOptions;
using ::testing::HasSubstr;

constexpr char kSuffix[] = "dc=example,dc=com";
constexpr int kBigGroups = 3000;

std::string BigUserDn() { return absl::StrCat("uid=biggie,ou=big,", kSuffix); }

// A user in kBigGroups groups with long names: about 600 KB as a User.
std::string BigUserLdif() {
  std::string out = absl::StrCat("dn: ou=big,", kSuffix, "\nobjectClass: organizationalUnit\n",
                                 "ou: big\n\ndn: ", BigUserDn(),
                                 "\nobjectClass: inetOrgPerson\nuid: biggie\ncn: Biggie\n"
                                 "sn: Biggie\nuserPassword: pw-biggie\n");
  for (int i = 0; i < kBigGroups; ++i) {
    absl::StrAppendFormat(&out,
                          "memberOf: cn=a-group-with-a-long-descriptive-name-as-some-sites-"
                          "like-them-number-%05d,ou=long-named-groups,ou=groups,%s\n",
                          i, kSuffix);
  }
  return out + "\n";
}

class ConnectorLimitsTest : public ::testing::Test {
 protected:
  void Start(SlapdOptions opts, int pool_size, int max_streams) {
    slapd_ = std::make_unique<Slapd>(std::move(opts));
    absl::Status st = slapd_->Start();
    ASSERT_TRUE(st.ok()) << st;
    LdapConfig c;
    c.uris = {slapd_->uri()};
    c.tls = LdapTls::kNone;
    c.bind_dn = Slapd::kServiceDn;
    c.bind_password = Slapd::kServicePassword;
    c.base_dn = kSuffix;
    c.profile = LdapProfile::kOpenLdap;
    c.pool_size = pool_size;
    c.max_streams = max_streams;
    absl::StatusOr<std::unique_ptr<LdapDirectory>> dir = LdapDirectory::New(c);
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::move(*dir);
    dispatcher_ = std::make_unique<Dispatcher>(dir_.get(), 4, "tenant-1",
                                               *crypto::GenerateX25519(), nullptr, max_streams);
  }

  static v1::CallRequest Search(uint64_t id, const std::string& base, uint32_t page_size) {
    v1::CallRequest req;
    req.set_call_id(id);
    req.mutable_search_users()->set_base_dn(base);
    req.mutable_search_users()->set_page_size(page_size);
    return req;
  }

  std::unique_ptr<Slapd> slapd_;
  std::unique_ptr<LdapDirectory> dir_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(ConnectorLimitsTest, StalledStreamsNeverDelayALoginOrALookup) {
  // As many streams as lookup connections: before streams had their own,
  // eight stalled readers held every connection and every worker.
  Start({}, /*pool_size=*/8, /*max_streams=*/8);
  std::vector<std::unique_ptr<TestCall>> stalled;
  for (uint64_t id = 1; id <= 8; ++id) {
    auto call = std::make_shared<Call>(id, absl::Now() + absl::Seconds(60));
    call->AddCredit(1);  // one chunk, then the reader never takes another
    stalled.push_back(std::make_unique<TestCall>(*dispatcher_, Search(id, "", 1), call));
  }
  // Each has sent its chunk: its search is open, holding its connection.
  for (auto& s : stalled) ASSERT_TRUE(s->WaitChunks(1, absl::Seconds(10)));

  v1::CallRequest login;
  login.set_call_id(20);
  login.mutable_authenticate()->set_username("user00003");
  login.mutable_authenticate()->set_password("pw-user00003");
  absl::Time start = absl::Now();
  v1::CallResult auth = DispatchAndWait(*dispatcher_, login, absl::Seconds(10));
  absl::Duration login_took = absl::Now() - start;
  ASSERT_EQ(auth.code(), 0) << auth.message();
  EXPECT_EQ(auth.authenticate().result(), v1::AUTH_RESULT_OK);
  EXPECT_LT(login_took, absl::Seconds(2));

  v1::CallRequest get;
  get.set_call_id(21);
  get.mutable_get_user()->set_username("user00004");
  start = absl::Now();
  v1::CallResult user = DispatchAndWait(*dispatcher_, get, absl::Seconds(10));
  absl::Duration get_took = absl::Now() - start;
  ASSERT_EQ(user.code(), 0) << user.message();
  EXPECT_EQ(user.get_user().dn(), slapd_->UserDn(4));
  EXPECT_LT(get_took, absl::Seconds(2));

  // One stream more than ldap.max_streams is refused at once.
  auto ninth = std::make_shared<Call>(9, absl::Now() + absl::Seconds(10));
  TestCall refused(*dispatcher_, Search(9, "", 1), ninth);
  ASSERT_TRUE(refused.WaitReply(absl::Seconds(2)));
  EXPECT_EQ(refused.result().code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(refused.result().message(), HasSubstr("ldap.max_streams"));
  for (auto& s : stalled) {
    EXPECT_FALSE(s->replied());
    s->call().Cancel();
  }
}

TEST_F(ConnectorLimitsTest, PagesAreCutToTheFrameAndABigEntryFailsByName) {
  SlapdOptions opts;
  opts.extra_ldif = BigUserLdif();
  Start(opts, 2, 2);
  // 4 KiB frames, 2 KiB chunks: one page of 20 users (about 200 bytes
  // each with their groups) becomes two chunks or more.
  constexpr uint32_t kFrame = 4 << 10;
  auto call = std::make_shared<Call>(1, absl::Now() + absl::Seconds(10), kFrame);
  call->AddCredit(1000);
  TestCall people(*dispatcher_, Search(1, absl::StrCat("ou=people,", kSuffix), 1000), call);
  ASSERT_TRUE(people.WaitReply(absl::Seconds(10)));
  ASSERT_EQ(people.result().code(), 0) << people.result().message();
  int users = 0;
  for (const v1::ResultChunk& c : people.chunks()) {
    EXPECT_LE(c.search_users().ByteSizeLong(), kFrame / 2);
    users += c.search_users().users_size();
  }
  EXPECT_EQ(users, 20);
  EXPECT_GE(people.chunks().size(), 2u);

  // The whole base holds biggie, 600 KB as a User: the stream fails with
  // its DN, and no chunk went over.
  auto whole = std::make_shared<Call>(2, absl::Now() + absl::Seconds(10), 256 << 10);
  whole->AddCredit(1000);
  TestCall all(*dispatcher_, Search(2, "", 1000), whole);
  ASSERT_TRUE(all.WaitReply(absl::Seconds(10)));
  EXPECT_EQ(all.result().code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(all.result().message(), HasSubstr(absl::StrCat("\"", BigUserDn(), "\"")));
  EXPECT_THAT(all.result().message(), HasSubstr(absl::StrCat(kBigGroups, " groups")));
  for (const v1::ResultChunk& c : all.chunks()) {
    EXPECT_LE(c.search_users().ByteSizeLong(), (256u << 10) / 2);
  }

  // GetUser of biggie: too big for 256 KiB frames, whole in default ones.
  v1::CallRequest get;
  get.set_call_id(3);
  get.mutable_get_user()->set_username("biggie");
  TestCall small(*dispatcher_, get, std::make_shared<Call>(3, absl::Now() + absl::Seconds(10),
                                                           256 << 10));
  ASSERT_TRUE(small.WaitReply(absl::Seconds(10)));
  EXPECT_EQ(small.result().code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(small.result().message(), HasSubstr(BigUserDn()));
  v1::CallResult whole_user = DispatchAndWait(*dispatcher_, get, absl::Seconds(10));
  ASSERT_EQ(whole_user.code(), 0) << whole_user.message();
  EXPECT_EQ(whole_user.get_user().groups_size(), kBigGroups);
}

TEST_F(ConnectorLimitsTest, ListsPastTheFrameSayHowManyAndWhatToNarrow) {
  SlapdOptions opts;
  opts.groups = 100;
  opts.ous = 150;
  Start(opts, 2, 2);
  constexpr uint32_t kFrame = 8 << 10;  // answers of at most 4 KiB
  auto list = [&](v1::CallRequest req) {
    TestCall c(*dispatcher_, req, std::make_shared<Call>(req.call_id(),
                                                          absl::Now() + absl::Seconds(10), kFrame));
    EXPECT_TRUE(c.WaitReply(absl::Seconds(10)));
    return c.result();
  };
  v1::CallRequest groups;
  groups.set_call_id(1);
  groups.mutable_list_groups();
  v1::CallResult r = list(groups);
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(r.message(), HasSubstr("found more than"));
  EXPECT_THAT(r.message(), HasSubstr("narrow base_dn or name_prefix"));
  EXPECT_THAT(r.message(), HasSubstr("bytes"));
  // Narrowed: group5 and group50..59.
  groups.mutable_list_groups()->set_name_prefix("group5");
  r = list(groups);
  ASSERT_EQ(r.code(), 0) << r.message();
  EXPECT_EQ(r.list_groups().groups_size(), 11);

  v1::CallRequest ous;
  ous.set_call_id(2);
  ous.mutable_list_organizational_units();
  r = list(ous);
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(r.message(), HasSubstr("organizational units"));
  EXPECT_THAT(r.message(), HasSubstr("narrow base_dn"));
  // In default frames the same list is answered whole.
  v1::CallResult whole = DispatchAndWait(*dispatcher_, ous, absl::Seconds(10));
  ASSERT_EQ(whole.code(), 0) << whole.message();
  EXPECT_EQ(whole.list_organizational_units().units_size(), 150 + 2);  // + people, groups
}

}  // namespace
}  // namespace dirbridge::connector
