#include "tests/store/store_conformance.h"

#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"

namespace dirbridge::cloud {

void StoreConformanceTest::SetUp() {
  std::string tmpl = ::testing::TempDir() + "dirbridge-store-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
  absl::StatusOr<std::unique_ptr<Store>> s = GetParam().make(dir_);
  ASSERT_TRUE(s.ok()) << s.status();
  store_ = std::move(*s);
  ASSERT_TRUE(store_->CreateTenant({kT1, "acme", T(0)}, "hash-t1").ok());
  ASSERT_TRUE(store_->CreateTenant({kT2, "globex", T(0)}, "hash-t2").ok());
}

void StoreConformanceTest::TearDown() {
  store_.reset();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

absl::Time StoreConformanceTest::T(int64_t seconds) {
  return absl::FromUnixSeconds(1'700'000'000 + seconds);
}

ConnectorRecord StoreConformanceTest::Connector(absl::string_view tenant, absl::string_view id,
                                                absl::Time created_at) {
  ConnectorRecord c;
  c.tenant_id = std::string(tenant);
  c.connector_id = std::string(id);
  c.name = absl::StrCat("dc-", id);
  c.created_at = created_at;
  return c;
}

MappingRecord StoreConformanceTest::Mapping(absl::string_view tenant, absl::string_view id) {
  MappingRecord m;
  m.tenant_id = std::string(tenant);
  m.mapping_id = std::string(id);
  m.name = absl::StrCat("mapping ", id);
  m.base_dn = "dc=example,dc=com";
  m.ou_dns = {"ou=people,dc=example,dc=com", "ou=staff,dc=example,dc=com"};
  m.group_dns = {"cn=vpn,ou=groups,dc=example,dc=com"};
  m.sync_interval = absl::Hours(6);
  m.created_at = T(1);
  m.next_run_at = T(100);
  m.last_run_id = "run-0";
  m.held_run_id = "";
  m.held_count = 0;
  m.watermark = "20240101000000Z";
  m.watermark_server = "ldap-a";
  m.last_full_at = T(2);
  return m;
}

UserRecord StoreConformanceTest::DirectoryUser(absl::string_view tenant,
                                               absl::string_view directory_id) {
  UserRecord u;
  u.tenant_id = std::string(tenant);
  u.directory_id = std::string(directory_id);
  u.dn = absl::StrCat("uid=", directory_id, ",ou=people,dc=example,dc=com");
  u.username = absl::StrCat("user-", directory_id);
  u.user_principal_name = absl::StrCat(u.username, "@example.com");
  u.email = absl::StrCat(u.username, "@example.com");
  u.display_name = absl::StrCat("User ", directory_id);
  u.groups = {"cn=vpn,ou=groups,dc=example,dc=com", "cn=all,ou=groups,dc=example,dc=com"};
  u.disabled = false;
  u.imported_at = T(10);
  return u;
}

EkeyRecord StoreConformanceTest::Ekey(absl::string_view tenant, absl::string_view user,
                                      absl::string_view key_id) {
  EkeyRecord e;
  e.tenant_id = std::string(tenant);
  e.user_id = std::string(user);
  e.key_id = std::string(key_id);
  // Raw bytes, a NUL and high bytes among them: the store keeps them as given.
  e.wrapped = absl::StrCat(std::string("\x00\xff\x80wrapped-", 11), key_id);
  e.kek_version = 3;
  e.created_at = T(5);
  return e;
}

MappingRecord StoreConformanceTest::MustCreateMapping(absl::string_view tenant,
                                                      absl::string_view id) {
  absl::StatusOr<MappingRecord> m = store_->CreateMapping(Mapping(tenant, id));
  EXPECT_TRUE(m.ok()) << m.status();
  return m.value_or(MappingRecord{});
}

std::vector<UserRecord> StoreConformanceTest::AllUsers(absl::string_view tenant,
                                                       absl::string_view mapping_id) {
  std::vector<UserRecord> out;
  std::string after;
  while (true) {
    absl::StatusOr<std::vector<UserRecord>> page =
        store_->ListUsers(tenant, mapping_id, after, 100);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok() || page->empty()) return out;
    for (const UserRecord& u : *page) {
      if (u.user_id <= after) {  // a page that does not move on would never end
        ADD_FAILURE() << "ListUsers after \"" << after << "\" returned \"" << u.user_id << "\"";
        return out;
      }
      after = u.user_id;
      out.push_back(u);
    }
  }
}

void RunConcurrently(int n, const std::function<void(int)>& body) {
  absl::Notification go;
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&go, &body, i] {
      go.WaitForNotification();
      body(i);
    });
  }
  go.Notify();
  for (std::thread& t : threads) t.join();
}

namespace {
std::string Opt(const std::optional<absl::Time>& t) {
  return t ? absl::FormatTime(*t) : "unset";
}
}  // namespace

void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

void PrintTo(const ConnectorRecord& c, std::ostream* os) {
  *os << "{" << c.tenant_id << "/" << c.connector_id << " name=" << c.name
      << " created=" << c.created_at << " last_seen=" << Opt(c.last_seen)
      << " version=" << c.version << " host=" << c.hostname << " ldap_ok=" << c.ldap_ok
      << " key=" << c.password_public_key.size() << "B rev=" << c.protocol_revision << "}";
}

void PrintTo(const MappingRecord& m, std::ostream* os) {
  *os << "{" << m.tenant_id << "/" << m.mapping_id << " name=" << m.name << " base=" << m.base_dn
      << " ous=[" << absl::StrJoin(m.ou_dns, "; ") << "] groups=["
      << absl::StrJoin(m.group_dns, "; ") << "] every=" << m.sync_interval
      << " priority=" << m.priority << " created=" << m.created_at << " next=" << m.next_run_at
      << " last_run=" << m.last_run_id << " held=" << m.held_run_id << "/" << m.held_count
      << " watermark=" << m.watermark << "@" << m.watermark_server
      << " last_full=" << m.last_full_at << "}";
}

void PrintTo(const UserRecord& u, std::ostream* os) {
  *os << "{" << u.tenant_id << "/" << u.user_id << " mapping=" << u.mapping_id
      << " dir=" << u.directory_id << " dn=" << u.dn << " username=" << u.username
      << " upn=" << u.user_principal_name << " email=" << u.email
      << " display=" << u.display_name << " groups=[" << absl::StrJoin(u.groups, "; ")
      << "] disabled=" << u.disabled << " state=" << static_cast<int>(u.state)
      << " imported=" << u.imported_at << "}";
}

void PrintTo(const EkeyRecord& e, std::ostream* os) {
  *os << "{" << e.tenant_id << "/" << e.user_id << " key=" << e.key_id
      << " wrapped=" << e.wrapped.size() << "B kek=" << e.kek_version
      << " created=" << e.created_at << "}";
}

void PrintTo(const AlertRecord& a, std::ostream* os) {
  *os << "{" << a.tenant_id << "/" << a.alert_id << " kind=" << static_cast<int>(a.kind)
      << " connector=" << a.connector_id << " mapping=" << a.mapping_id
      << " raised=" << a.raised_at << " cleared=" << Opt(a.cleared_at) << " msg=" << a.message
      << "}";
}

void PrintTo(const AuditRecord& a, std::ostream* os) {
  *os << "{" << a.tenant_id << " at=" << a.at << " " << a.actor << " " << a.action << " "
      << a.object_id << " " << a.detail << "}";
}

void PrintTo(const UpsertCounts& c, std::ostream* os) {
  *os << "{added=" << c.added << " updated=" << c.updated << " unchanged=" << c.unchanged << "}";
}

}  // namespace dirbridge::cloud
