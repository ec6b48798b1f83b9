// LdapDirectory's event-loop login against a real slapd: the same outcomes
// as the blocking path, and every way it hands over or gives up.

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "connector_svc/ldap/ldap_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/slapd.h"

namespace dirbridge::connector {
namespace {

using testing::Slapd;
using testing::SlapdOptions;

LdapConfig ConfigFor(const Slapd& slapd, int pool_size) {
  LdapConfig c;
  c.uris = {slapd.uri()};
  c.tls = LdapTls::kNone;
  c.bind_dn = Slapd::kServiceDn;
  c.bind_password = Slapd::kServicePassword;
  c.base_dn = slapd.options().suffix;
  c.profile = LdapProfile::kOpenLdap;
  c.pool_size = pool_size;
  return c;
}

OpContext Within(absl::Duration d, const std::atomic<bool>* cancelled = nullptr) {
  return OpContext{absl::Now() + d, cancelled};
}

// One AuthenticateAsync, waited for.
absl::StatusOr<Directory::AuthOutcome> Login(LdapDirectory& dir, ThreadPool& pool,
                                             const std::string& user, const std::string& pw,
                                             OpContext ctx) {
  absl::Notification done;
  absl::StatusOr<Directory::AuthOutcome> out;
  dir.AuthenticateAsync(user, pw, ctx, &pool,
                        [&](absl::StatusOr<Directory::AuthOutcome> r) {
                          out = std::move(r);
                          done.Notify();
                        });
  done.WaitForNotification();
  return out;
}

class LdapDirectoryTest : public ::testing::Test {
 protected:
  void StartWith(SlapdOptions opts, int pool_size) {
    slapd_ = std::make_unique<Slapd>(std::move(opts));
    ASSERT_TRUE(slapd_->Start().ok());
    absl::StatusOr<std::unique_ptr<LdapDirectory>> dir =
        LdapDirectory::New(ConfigFor(*slapd_, pool_size));
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::move(*dir);
  }

  std::unique_ptr<Slapd> slapd_;
  std::unique_ptr<LdapDirectory> dir_;
  ThreadPool pool_{4};
};

TEST_F(LdapDirectoryTest, SameOutcomesAsTheBlockingPath) {
  SlapdOptions opts;
  opts.ppolicy = true;
  StartWith(opts, 2);
  struct Case {
    std::string user, password;
  } cases[] = {
      {"user00001", "pw-user00001"},  {"user00001", "wrong"}, {"nobody", "pw-nobody"},
      {"user00002", "pw-user00002"},  {"locked", "pw-locked"}, {"mustchange", "pw-mustchange"},
      {"expired", "pw-expired"},      {"user*", "pw-user00001"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Directory::AuthOutcome> blocking =
        dir_->Authenticate(c.user, c.password, Within(absl::Seconds(5)));
    absl::StatusOr<Directory::AuthOutcome> async =
        Login(*dir_, pool_, c.user, c.password, Within(absl::Seconds(5)));
    ASSERT_TRUE(blocking.ok()) << c.user << ": " << blocking.status();
    ASSERT_TRUE(async.ok()) << c.user << ": " << async.status();
    EXPECT_EQ(async->result, blocking->result) << c.user << " / " << c.password;
    EXPECT_EQ(async->user.dn(), blocking->user.dn()) << c.user;
  }
  absl::StatusOr<Directory::AuthOutcome> ok =
      Login(*dir_, pool_, "user00001", "pw-user00001", Within(absl::Seconds(5)));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->result, v1::AUTH_RESULT_OK);
  EXPECT_EQ(ok->user.username(), "user00001");
  EXPECT_EQ(ok->user.dn(), slapd_->UserDn(1));
  EXPECT_EQ(Login(*dir_, pool_, "user00001", "", Within(absl::Seconds(5))).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(LdapDirectoryTest, MoreLoginsThanConnectionsAllAnswered) {
  StartWith({}, 1);
  constexpr int kLogins = 40;
  std::atomic<int> ok{0}, wrong{0}, left{kLogins};
  absl::Notification all;
  for (int i = 0; i < kLogins; ++i) {
    int u = 1 + i % 20;
    std::string user = absl::StrFormat("user%05d", u);
    // Every fourth one with a wrong password: answers must not cross.
    std::string pw = i % 4 == 0 ? "wrong" : "pw-" + user;
    dir_->AuthenticateAsync(user, pw, Within(absl::Seconds(10)), &pool_,
                            [&, i](absl::StatusOr<Directory::AuthOutcome> r) {
                              if (r.ok() && r->result == v1::AUTH_RESULT_OK && i % 4 != 0) ++ok;
                              if (r.ok() && r->result == v1::AUTH_RESULT_INVALID_CREDENTIALS &&
                                  i % 4 == 0) {
                                ++wrong;
                              }
                              if (--left == 0) all.Notify();
                            });
  }
  ASSERT_TRUE(all.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(ok.load(), kLogins * 3 / 4);
  EXPECT_EQ(wrong.load(), kLogins / 4);
}

TEST_F(LdapDirectoryTest, FrozenServerEndsTheLoginAtItsDeadline) {
  StartWith({}, 2);
  // Warm the pools so that the login goes to the loop, not to a dial.
  ASSERT_TRUE(Login(*dir_, pool_, "user00001", "pw-user00001", Within(absl::Seconds(5))).ok());
  slapd_->Freeze();
  absl::Time start = absl::Now();
  absl::StatusOr<Directory::AuthOutcome> r =
      Login(*dir_, pool_, "user00002", "pw-user00002", Within(absl::Milliseconds(300)));
  absl::Duration took = absl::Now() - start;
  slapd_->Thaw();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(took, absl::Seconds(2));
  // The abandoned connection is not handed out again.
  absl::StatusOr<Directory::AuthOutcome> after =
      Login(*dir_, pool_, "user00002", "pw-user00002", Within(absl::Seconds(5)));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->result, v1::AUTH_RESULT_OK);
}

TEST_F(LdapDirectoryTest, CancelledLoginEndsWithoutWaitingForTheServer) {
  StartWith({}, 2);
  ASSERT_TRUE(Login(*dir_, pool_, "user00001", "pw-user00001", Within(absl::Seconds(5))).ok());
  slapd_->Freeze();
  // Cancelled while the search waits on the frozen server: the loop looks
  // at the flag at its next sweep, not at the 30 s deadline.
  std::atomic<bool> cancelled{true};
  absl::StatusOr<Directory::AuthOutcome> r =
      Login(*dir_, pool_, "user00002", "pw-user00002", Within(absl::Seconds(30), &cancelled));
  slapd_->Thaw();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
}

TEST_F(LdapDirectoryTest, ConnectionsTheServerDroppedAreReplaced) {
  // AD drops connections idle for 900 s; slapd's idletimeout does the same.
  SlapdOptions opts;
  opts.extra_global_config = "idletimeout 1";
  StartWith(opts, 2);
  ASSERT_TRUE(Login(*dir_, pool_, "user00001", "pw-user00001", Within(absl::Seconds(5))).ok());
  absl::SleepFor(absl::Milliseconds(2500));  // the scenario: connections idle past the timeout
  absl::StatusOr<Directory::AuthOutcome> r =
      Login(*dir_, pool_, "user00003", "pw-user00003", Within(absl::Seconds(5)));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->result, v1::AUTH_RESULT_OK);
}

TEST_F(LdapDirectoryTest, ServerGoneIsUnavailable) {
  StartWith({}, 2);
  ASSERT_TRUE(Login(*dir_, pool_, "user00001", "pw-user00001", Within(absl::Seconds(5))).ok());
  slapd_->Stop();
  absl::StatusOr<Directory::AuthOutcome> r =
      Login(*dir_, pool_, "user00001", "pw-user00001", Within(absl::Seconds(5)));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

// Median of `n` timed logins.
absl::Duration MedianLogin(LdapDirectory& dir, ThreadPool& pool, const std::string& user,
                           const std::string& pw, int n, v1::AuthResult want) {
  std::vector<absl::Duration> took;
  for (int i = 0; i < n; ++i) {
    absl::Time start = absl::Now();
    absl::StatusOr<Directory::AuthOutcome> r = Login(dir, pool, user, pw, Within(absl::Seconds(5)));
    took.push_back(absl::Now() - start);
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) {
      EXPECT_EQ(r->result, want) << user;
    }
  }
  std::sort(took.begin(), took.end());
  return took[took.size() / 2];
}

TEST_F(LdapDirectoryTest, AnUnknownUserCostsWhatAWrongPasswordCosts) {
  SlapdOptions opts;
  for (const char* ou : {"dept0", "dept1"}) {
    opts.extra_ldif += absl::StrCat("dn: uid=twin,ou=", ou, ",ou=people,dc=example,dc=com\n",
                                    "objectClass: inetOrgPerson\nuid: twin\ncn: twin\nsn: twin\n",
                                    "userPassword: pw-twin\n\n");
  }
  StartWith(opts, 2);
  // Warm both pools so that neither side pays for a dial.
  ASSERT_TRUE(Login(*dir_, pool_, "user00001", "pw-user00001", Within(absl::Seconds(5))).ok());
  ASSERT_TRUE(Login(*dir_, pool_, "nobody", "pw", Within(absl::Seconds(5))).ok());
  int64_t decoys = dir_->decoy_binds();
  absl::Duration wrong =
      MedianLogin(*dir_, pool_, "user00002", "wrong", 20, v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(dir_->decoy_binds(), decoys);  // a real user binds as itself
  absl::Duration unknown =
      MedianLogin(*dir_, pool_, "nobody", "wrong", 20, v1::AUTH_RESULT_INVALID_CREDENTIALS);
  // Each unknown name cost a bind the server answered.
  EXPECT_EQ(dir_->decoy_binds(), decoys + 20);
  double ratio = absl::FDivDuration(unknown, wrong);
  EXPECT_GT(ratio, 0.5) << "unknown " << unknown << " vs wrong password " << wrong;
  EXPECT_LT(ratio, 2.0) << "unknown " << unknown << " vs wrong password " << wrong;
  // The blocking path and a name that matches several entries do the same.
  // Even with the right password of one of them.
  absl::StatusOr<Directory::AuthOutcome> several =
      Login(*dir_, pool_, "twin", "pw-twin", Within(absl::Seconds(5)));
  ASSERT_TRUE(several.ok()) << several.status();
  EXPECT_EQ(several->result, v1::AUTH_RESULT_INVALID_CREDENTIALS);
  absl::StatusOr<Directory::AuthOutcome> blocking =
      dir_->Authenticate("nobody", "pw", Within(absl::Seconds(5)));
  ASSERT_TRUE(blocking.ok()) << blocking.status();
  EXPECT_EQ(blocking->result, v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ(dir_->decoy_binds(), decoys + 22);
}

// Searches read only under ldap.base_dn (here ou=people), whatever the
// caller names, compared as parsed DNs.
TEST_F(LdapDirectoryTest, SearchesStayUnderTheConfiguredBase) {
  SlapdOptions opts;
  opts.extra_suffixes = {"dc=other,dc=org"};
  slapd_ = std::make_unique<Slapd>(opts);
  ASSERT_TRUE(slapd_->Start().ok());
  LdapConfig c = ConfigFor(*slapd_, 2);
  c.base_dn = "ou=people,dc=example,dc=com";
  absl::StatusOr<std::unique_ptr<LdapDirectory>> dir = LdapDirectory::New(c);
  ASSERT_TRUE(dir.ok()) << dir.status();
  OpContext ctx = Within(absl::Seconds(5));
  int users = 0;
  auto count = [&](std::vector<v1::User>&& page, const Directory::PageMarks&) {
    users += static_cast<int>(page.size());
    return absl::OkStatus();
  };
  for (const std::string& outside :
       {std::string("dc=example,dc=com"), std::string("ou=groups,dc=example,dc=com"),
        std::string("dc=other,dc=org"),
        // Its string ends with the base, but it is ou="dept1,ou=people"
        // right under dc=example,dc=com.
        std::string("ou=dept1\\,ou=people,dc=example,dc=com")}) {
    absl::Status st = (*dir)->SearchUsers(outside, "", 100, "", ctx, count);
    EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << outside << ": " << st;
    EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr(absl::StrCat("\"", outside, "\"")));
    EXPECT_THAT(std::string(st.message()),
                ::testing::HasSubstr("\"ou=people,dc=example,dc=com\""));
    EXPECT_EQ((*dir)->ListGroups(outside, "", ctx).status().code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ((*dir)->ListOrganizationalUnits(outside, ctx).status().code(),
              absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(users, 0);
  // The group must be under the base too.
  absl::Status group = (*dir)->SearchUsers("", slapd_->GroupDn("group1"), 100, "", ctx, count);
  EXPECT_EQ(group.code(), absl::StatusCode::kPermissionDenied) << group;
  EXPECT_THAT(std::string(group.message()), ::testing::HasSubstr("group_dn"));
  // Empty is the base itself; another spelling of a DN under it is under it.
  ASSERT_TRUE((*dir)->SearchUsers("", "", 100, "", ctx, count).ok());
  EXPECT_EQ(users, 20);
  users = 0;
  ASSERT_TRUE((*dir)->SearchUsers("OU=Dept1, OU=People,DC=Example,DC=COM", "", 100, "", ctx,
                                  count).ok());
  EXPECT_EQ(users, 5);  // users 1, 5, 9, 13, 17
  absl::StatusOr<std::vector<v1::OrganizationalUnit>> ous =
      (*dir)->ListOrganizationalUnits("", ctx);
  ASSERT_TRUE(ous.ok()) << ous.status();
  EXPECT_EQ(ous->size(), 5u);  // people and dept0..3
}

TEST_F(LdapDirectoryTest, LoginsOverLdapsAndStartTls) {
  SlapdOptions opts;
  opts.tls = true;
  StartWith(opts, 2);
  for (LdapTls tls : {LdapTls::kLdaps, LdapTls::kStartTls}) {
    LdapConfig c = ConfigFor(*slapd_, 2);
    c.tls = tls;
    c.uris = {tls == LdapTls::kLdaps ? slapd_->ldaps_uri() : slapd_->uri()};
    c.ca_file = slapd_->ca_file();
    absl::StatusOr<std::unique_ptr<LdapDirectory>> dir = LdapDirectory::New(c);
    ASSERT_TRUE(dir.ok());
    // Twice: the second login finds the connections the first one left idle
    // and goes through the event loop, with TLS and read-ahead underneath.
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<Directory::AuthOutcome> r =
          Login(**dir, pool_, "user00004", "pw-user00004", Within(absl::Seconds(5)));
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->result, v1::AUTH_RESULT_OK);
      r = Login(**dir, pool_, "user00004", "wrong", Within(absl::Seconds(5)));
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->result, v1::AUTH_RESULT_INVALID_CREDENTIALS);
    }
  }
}

TEST_F(LdapDirectoryTest, ChangePasswordOverTlsAndNeverPlainOnActiveDirectory) {
  SlapdOptions opts;
  opts.tls = true;
  StartWith(opts, 2);
  LdapConfig c = ConfigFor(*slapd_, 2);
  c.tls = LdapTls::kStartTls;
  c.ca_file = slapd_->ca_file();
  absl::StatusOr<std::unique_ptr<LdapDirectory>> dir = LdapDirectory::New(c);
  ASSERT_TRUE(dir.ok());
  auto changed = (*dir)->ChangePassword("user00004", "pw-user00004", "N3w-Pa55-tls",
                                        Within(absl::Seconds(5)));
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->result, v1::AUTH_RESULT_OK);
  auto r = Login(**dir, pool_, "user00004", "N3w-Pa55-tls", Within(absl::Seconds(5)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result, v1::AUTH_RESULT_OK);
  // A name that finds nobody costs a (decoy) bind, as a login does.
  int64_t decoys = (*dir)->decoy_binds();
  changed = (*dir)->ChangePassword("nobody", "pw-user00004", "N3w-Pa55-x", Within(absl::Seconds(5)));
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->result, v1::AUTH_RESULT_INVALID_CREDENTIALS);
  EXPECT_EQ((*dir)->decoy_binds(), decoys + 1);

  // AD takes unicodePwd only encrypted: refused before anything is sent.
  c = ConfigFor(*slapd_, 2);
  c.profile = LdapProfile::kActiveDirectory;
  dir = LdapDirectory::New(c);
  ASSERT_TRUE(dir.ok());
  changed = (*dir)->ChangePassword("user00004", "N3w-Pa55-tls", "N3w-Pa55-plain",
                                   Within(absl::Seconds(5)));
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(changed.status().message()), ::testing::HasSubstr("ldaps or starttls"));
}

TEST_F(LdapDirectoryTest, NestedGroupsOfWalksAsSearchUsersDoes) {
  StartWith({}, 2);
  std::string outer = slapd_->GroupDn("nested-outer");
  std::string inner = slapd_->GroupDn("nested-inner");
  std::vector<std::string> asked = {outer, inner, slapd_->GroupDn("no-such-group"),
                                    "cn=elsewhere,dc=other,dc=org", ""};
  auto in = [&](int user) {
    absl::StatusOr<std::vector<std::string>> r =
        dir_->NestedGroupsOf(slapd_->UserDn(user), asked, Within(absl::Seconds(5)));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(std::vector<std::string>{});
  };
  EXPECT_THAT(in(1), ::testing::ElementsAre(outer, inner));  // outer through inner
  EXPECT_THAT(in(4), ::testing::ElementsAre(outer));       // a direct member
  EXPECT_THAT(in(5), ::testing::IsEmpty());
}

}  // namespace
}  // namespace dirbridge::connector
