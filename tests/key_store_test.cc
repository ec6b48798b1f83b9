#include "connector_svc/keys/file_key_store.h"

#include <sys/stat.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"

namespace dirbridge::connector {
namespace {

using ::dirbridge::testing::MakeTempDir;
using ::testing::HasSubstr;

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("kek");
    auto s = FileKeyStore::Open(dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  std::string dir_;
  std::unique_ptr<FileKeyStore> store_;
  const std::string ekey_ = std::string(32, '\x42');
  const EkeyLabel label_{"t1", "alice", "k1"};
};

TEST_F(KeyStoreTest, WrapUnwrapAndLabelsBind) {
  auto w = store_->Wrap(label_, ekey_);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*WrappedKekVersion(*w), store_->current_version());
  EXPECT_EQ(*store_->Unwrap(label_, *w), ekey_);
  for (const EkeyLabel& other : {EkeyLabel{"t2", "alice", "k1"}, EkeyLabel{"t1", "bob", "k1"},
                                 EkeyLabel{"t1", "alice", "k2"}}) {
    EXPECT_EQ(store_->Unwrap(other, *w).status().code(), absl::StatusCode::kDataLoss);
  }
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/kek").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(KeyStoreTest, RotateKeepsOldVersionsAndSurvivesReopen) {
  auto old = store_->Wrap(label_, ekey_);
  uint32_t v1 = store_->current_version();
  auto v2 = store_->Rotate();
  ASSERT_TRUE(v2.ok());
  EXPECT_NE(*v2, v1);
  auto fresh = store_->Wrap(label_, ekey_);
  EXPECT_EQ(*WrappedKekVersion(*fresh), *v2);
  auto reopened = FileKeyStore::Open(dir_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->current_version(), *v2);
  EXPECT_EQ(*(*reopened)->Unwrap(label_, *old), ekey_);
  EXPECT_EQ(*(*reopened)->Unwrap(label_, *fresh), ekey_);
}

TEST_F(KeyStoreTest, ExportImportAndBackupMarker) {
  EXPECT_TRUE(store_->NeedsBackup());
  EXPECT_EQ(store_->Export("short").status().code(), absl::StatusCode::kInvalidArgument);
  auto blob = store_->Export("a long enough passphrase");
  ASSERT_TRUE(blob.ok());
  EXPECT_FALSE(store_->NeedsBackup());
  auto w = store_->Wrap(label_, ekey_);

  std::string other_dir = MakeTempDir("kek2");
  auto other = FileKeyStore::Open(other_dir);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->Unwrap(label_, *w).status().code(), absl::StatusCode::kFailedPrecondition);
  absl::Status wrong = (*other)->Import(*blob, "the wrong passphrase");
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong.message()), HasSubstr("wrong passphrase"));
  EXPECT_EQ((*other)->Import("garbage", "x").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*other)->Import(*blob, "a long enough passphrase").ok());
  EXPECT_EQ(*(*other)->Unwrap(label_, *w), ekey_);
  EXPECT_EQ((*other)->current_version(), store_->current_version());
}

TEST_F(KeyStoreTest, RefusesAKekFileOthersCanRead) {
  chmod((dir_ + "/kek").c_str(), 0644);
  auto s = FileKeyStore::Open(dir_);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("chmod 600"));
}

}  // namespace
}  // namespace dirbridge::connector
