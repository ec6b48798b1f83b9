// ekeys end to end: the connector makes, wraps, unwraps and seals them; the
// cloud holds wrapped bytes only.

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cloud_svc/store/sqlite_db.h"
#include "common/crypto.h"
#include "common/sealed_ekey.h"
#include "dirbridge/v1/keys.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

class KeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SlapdOptions opts;
    opts.users = 5;
    slapd_ = std::make_unique<Slapd>(opts);
    ASSERT_TRUE(slapd_->Start().ok());
    ASSERT_TRUE(cloud_.Start().ok());
    absl::StatusOr<Tenant> t = cloud_.CreateTenant("acme");
    ASSERT_TRUE(t.ok());
    tenant_ = *t;
    a_ = std::make_unique<ConnectorSvc>(&cloud_, slapd_.get());
    ASSERT_TRUE(a_->Register(tenant_.token, "a").ok());
    StartConnector(*a_);
    keys_ = v1::Keys::NewStub(cloud_.channel());
    recipient_ = *crypto::GenerateX25519();
  }

  void StartConnector(ConnectorSvc& c) {
    {
      absl::Status st = RunUntilConnected(cloud_, tenant_.token, c);
      ASSERT_TRUE(st.ok()) << st;
    }
  }

  void StopConnector(ConnectorSvc& c) {
    c.Kill();
    ASSERT_TRUE(cloud_.WaitForStatus(tenant_.token, c.connector_id(),
                                     v1::CONNECTOR_STATUS_NOT_CONNECTED, absl::Seconds(10)));
  }

  grpc::Status Provision(const std::string& user, std::string* key_id, bool rotate = false) {
    v1::ProvisionEkeyRequest req;
    req.set_user_id(user);
    req.set_rotate(rotate);
    v1::ProvisionEkeyResponse resp;
    grpc::Status st = keys_->ProvisionEkey(Ctx(tenant_.token).get(), req, &resp);
    if (key_id) *key_id = resp.key_id();
    return st;
  }

  grpc::Status Get(const std::vector<std::string>& users, v1::GetEkeysResponse* resp,
                   const std::string& recipient = "") {
    v1::GetEkeysRequest req;
    for (const auto& u : users) req.add_user_ids(u);
    req.set_recipient_public_key(recipient.empty() ? recipient_.public_key : recipient);
    return keys_->GetEkeys(Ctx(tenant_.token, absl::Seconds(30)).get(), req, resp);
  }

  // user -> ekey, opened with the recipient's private key.
  absl::flat_hash_map<std::string, std::string> Open(const v1::GetEkeysResponse& resp) {
    absl::flat_hash_map<std::string, std::string> out;
    for (const auto& e : resp.ekeys()) {
      auto ekey = crypto::Open(recipient_, e.sealed_ekey(), SealedEkeyAad(e.user_id(), e.key_id()),
                               kSealedEkeyInfo);
      EXPECT_TRUE(ekey.ok()) << e.user_id() << ": " << ekey.status();
      if (ekey.ok()) out[e.user_id()] = *ekey;
    }
    return out;
  }

  int Keys(ConnectorSvc& c, const std::vector<std::string>& args, std::string* out = nullptr) {
    std::vector<std::string> argv = {ConnectorBinary(), "keys"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--state_dir", c.state_dir()});
    int code = -1;
    absl::StatusOr<std::string> o =
        RunCommand(argv, &code, {"DIRBRIDGE_KEK_PASSPHRASE=correct horse battery staple"});
    if (out) *out = o.value_or("");
    return code;
  }

  // Rewrites one stored wrapped ekey, as a corrupted disk or an attacker
  // with the database would.
  void Tamper(const std::string& user, const std::function<void(std::string&)>& edit) {
    auto db = cloud::SqliteDb::Open(cloud_.data_dir() + "/cloud.db");
    ASSERT_TRUE(db.ok());
    auto q = (*db)->Prepare("SELECT wrapped FROM ekeys WHERE user_id = ? AND current = 1");
    (*q)->Bind(1, user);
    ASSERT_TRUE(*(*q)->Step());
    std::string wrapped = (*q)->Text(0);
    q->reset();
    edit(wrapped);
    auto u = (*db)->Prepare("UPDATE ekeys SET wrapped = ? WHERE user_id = ? AND current = 1");
    (*u)->BindBlob(1, wrapped).Bind(2, user);
    ASSERT_TRUE((*u)->Run().ok());
  }

  std::unique_ptr<Slapd> slapd_;
  CloudSvc cloud_;
  Tenant tenant_;
  std::unique_ptr<ConnectorSvc> a_;
  std::unique_ptr<v1::Keys::Stub> keys_;
  crypto::X25519KeyPair recipient_;
};

TEST_F(KeysTest, ThousandUsersOpenToTheSameEkeysAndNowhereInClear) {
  std::vector<std::string> users;
  absl::flat_hash_map<std::string, std::string> key_ids;
  for (int i = 0; i < 1000; ++i) {
    users.push_back(absl::StrCat("user-", i));
    grpc::Status st = Provision(users.back(), &key_ids[users.back()]);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  std::string again;
  ASSERT_TRUE(Provision("user-7", &again).ok());
  EXPECT_EQ(again, key_ids["user-7"]);  // idempotent without rotate

  v1::GetEkeysResponse first, second;
  ASSERT_TRUE(Get(users, &first).ok());
  ASSERT_EQ(first.ekeys_size(), 1000);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(first.ekeys(i).user_id(), users[i]);
    EXPECT_EQ(first.ekeys(i).key_id(), key_ids[users[i]]);
  }
  auto ekeys = Open(first);
  ASSERT_EQ(ekeys.size(), 1000u);
  ASSERT_TRUE(Get(users, &second).ok());
  EXPECT_EQ(Open(second), ekeys);  // the same ekey every time
  EXPECT_NE(first.ekeys(0).sealed_ekey(), second.ekeys(0).sealed_ekey());
  absl::flat_hash_map<std::string, int> distinct;
  for (auto& [u, k] : ekeys) {
    EXPECT_EQ(k.size(), 32u);
    ++distinct[k];
  }
  EXPECT_EQ(distinct.size(), 1000u);

  // Another key cannot open them.
  crypto::X25519KeyPair stranger = *crypto::GenerateX25519();
  for (const auto& e : first.ekeys()) {
    EXPECT_FALSE(crypto::Open(stranger, e.sealed_ekey(), SealedEkeyAad(e.user_id(), e.key_id()),
                              kSealedEkeyInfo).ok());
  }

  // The clear ekeys are in no byte the cloud keeps, nor in any log.
  std::string cloud_bytes = ReadFileOrEmpty(cloud_.data_dir() + "/cloud.db") +
                            ReadFileOrEmpty(cloud_.data_dir() + "/cloud.db-wal") +
                            cloud_.process().Log() + a_->process().Log();
  ASSERT_GT(cloud_bytes.size(), 100000u);
  for (auto& [u, k] : ekeys) {
    ASSERT_EQ(cloud_bytes.find(k), std::string::npos) << u;
    ASSERT_EQ(cloud_bytes.find(absl::BytesToHexString(k)), std::string::npos) << u;
    ASSERT_EQ(cloud_bytes.find(absl::Base64Escape(k)), std::string::npos) << u;
  }
}

TEST_F(KeysTest, RotationKeepsOldEkeysServedAndWrapsNewOnesUnderTheNewKek) {
  std::string old_key, rotated;
  ASSERT_TRUE(Provision("old", &old_key).ok());
  std::string out;
  ASSERT_EQ(Keys(*a_, {"rotate"}, &out), 0) << out;
  ASSERT_TRUE(Provision("new", nullptr).ok());
  ASSERT_TRUE(Provision("old", &rotated, /*rotate=*/true).ok());
  EXPECT_NE(rotated, old_key);

  auto db = cloud::SqliteDb::Open(cloud_.data_dir() + "/cloud.db");
  ASSERT_TRUE(db.ok());
  auto q = (*db)->Prepare(
      "SELECT user_id, kek_version, current FROM ekeys ORDER BY created_at");
  std::vector<std::tuple<std::string, int64_t, int64_t>> rows;
  while (*(*q)->Step()) rows.emplace_back((*q)->Text(0), (*q)->Int(1), (*q)->Int(2));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(std::get<0>(rows[0]), "old");
  EXPECT_EQ(std::get<2>(rows[0]), 0);  // kept, no longer current
  EXPECT_NE(std::get<1>(rows[0]), std::get<1>(rows[1]));  // wrapped before / after rotate
  EXPECT_EQ(std::get<1>(rows[1]), std::get<1>(rows[2]));

  v1::GetEkeysResponse resp;
  ASSERT_TRUE(Get({"old", "new"}, &resp).ok());
  EXPECT_EQ(Open(resp).size(), 2u);
  EXPECT_EQ(resp.ekeys(0).key_id(), rotated);
}

TEST_F(KeysTest, ExportOnAImportOnBThenBServesAlone) {
  std::vector<std::string> users = {"u1", "u2", "u3"};
  for (const auto& u : users) ASSERT_TRUE(Provision(u, nullptr).ok());
  v1::GetEkeysResponse before;
  ASSERT_TRUE(Get(users, &before).ok());
  auto ekeys = Open(before);
  EXPECT_THAT(a_->process().Log(), HasSubstr("event=kek_not_backed_up"));

  ConnectorSvc b(&cloud_, slapd_.get());
  ASSERT_TRUE(b.Register(tenant_.token, "b").ok());
  StopConnector(*a_);
  StartConnector(b);
  // B has a KEK of its own, not A's: it cannot unwrap A's ekeys.
  v1::GetEkeysResponse resp;
  grpc::Status st = Get(users, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("keys import"));

  std::string export_file = a_->state_dir() + "/../kek.export";
  std::string out;
  ASSERT_EQ(Keys(*a_, {"export", "--out", export_file}, &out), 0) << out;
  EXPECT_EQ(Keys(b, {"import", "--in", export_file, "--passphrase_file", "/dev/null"}, &out), 1);
  WriteFile(a_->state_dir() + "/../wrong", "not the passphrase at all");
  EXPECT_NE(Keys(b, {"import", "--in", export_file, "--passphrase_file",
                     a_->state_dir() + "/../wrong"}, &out), 0);
  EXPECT_THAT(out, HasSubstr("wrong passphrase"));
  ASSERT_EQ(Keys(b, {"import", "--in", export_file}, &out), 0) << out;

  // The running connector reads the imported KEKs without a restart.
  st = Get(users, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Open(resp), ekeys);

  // A, restarted after its export, no longer warns.
  b.Kill();
  StartConnector(*a_);
  size_t warnings = 0;
  for (size_t at = 0; (at = a_->process().Log().find("event=kek_not_backed_up", at)) !=
                      std::string::npos; ++at) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 1u);  // from its first start only
}

TEST_F(KeysTest, NoConnectorMeansUnavailableAtOnceAndTheAlertStands) {
  ASSERT_TRUE(Provision("u1", nullptr).ok());
  StopConnector(*a_);
  v1::GetEkeysResponse resp;
  absl::Time start = absl::Now();
  grpc::Status st = Get({"u1"}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(Provision("u2", nullptr).error_code(), grpc::StatusCode::UNAVAILABLE);
  auto alerts = cloud_.Alerts(tenant_.token, true);
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].kind(), v1::ALERT_KIND_CONNECTOR_NOT_CONNECTED);
}

TEST_F(KeysTest, BadInputGetsAClearStatusAndNeverAPartialBatch) {
  ASSERT_TRUE(Provision("u1", nullptr).ok());
  ASSERT_TRUE(Provision("u2", nullptr).ok());
  v1::GetEkeysResponse resp;
  EXPECT_EQ(Get({"u1"}, &resp, std::string(31, 'k')).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Get({"u1", "nobody"}, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get({}, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Get({"u1", "u1"}, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Provision("", nullptr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(resp.ekeys_size(), 0);

  Tamper("u2", [](std::string& w) { w[w.size() - 3] ^= 0x04; });
  grpc::Status st = Get({"u1", "u2"}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DATA_LOSS) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("u2"));
  EXPECT_EQ(resp.ekeys_size(), 0);

  Tamper("u1", [](std::string& w) { w[1] ^= 0x7f; });  // a KEK version nobody has
  st = Get({"u1"}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
  EXPECT_EQ(resp.ekeys_size(), 0);
}

}  // namespace
}  // namespace dirbridge::testing
