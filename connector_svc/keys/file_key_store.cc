#include "connector_svc/keys/file_key_store.h"

#include <sys/stat.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/crypto.h"
#include "common/secrets.h"
#include "common/status_macros.h"
#include "connector_svc/secret_file.h"

namespace dirbridge::connector {
namespace {

constexpr char kWrapVersion = 0x01;
constexpr size_t kWrapHeader = 1 + 4 + crypto::kGcmNonceSize;
constexpr char kExportMagic[] = "DBKEK1";
// scrypt cost for exports: 2^15 * 8 * 128 bytes = 32 MiB, ~0.1 s here.
constexpr uint64_t kScryptN = 1 << 15, kScryptR = 8, kScryptP = 1;

std::string Be32(uint32_t v) {
  return std::string({static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                      static_cast<char>(v >> 8), static_cast<char>(v)});
}
uint32_t ReadBe32(absl::string_view s) {
  auto b = [&](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

int64_t MtimeNs(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::string Serialize(const std::map<uint32_t, std::string>& keks, uint32_t current) {
  std::string out;
  for (const auto& [v, k] : keks) absl::StrAppend(&out, v, " ", absl::BytesToHexString(k), "\n");
  absl::StrAppend(&out, "current ", current, "\n");
  return out;
}

absl::Status Parse(const std::string& text, std::map<uint32_t, std::string>* keks,
                   uint32_t* current) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    uint32_t v = 0;
    if (kv.first == "current") {
      if (!absl::SimpleAtoi(kv.second, current)) return absl::DataLossError("bad current line");
      continue;
    }
    if (!absl::SimpleAtoi(kv.first, &v)) return absl::DataLossError("bad version line");
    std::string key = absl::HexStringToBytes(absl::StripAsciiWhitespace(kv.second));
    if (key.size() != crypto::kAesKeySize) return absl::DataLossError("bad key length");
    (*keks)[v] = std::move(key);
  }
  if (!keks->contains(*current)) return absl::DataLossError("current version missing");
  return absl::OkStatus();
}

}  // namespace

std::string EkeyAad(const EkeyLabel& l, uint32_t version) {
  return absl::StrCat(absl::string_view("dirbridge-ekey-v1\0", 18), l.tenant_id,
                      absl::string_view("\0", 1), l.user_id, absl::string_view("\0", 1),
                      l.key_id, absl::string_view("\0", 1), Be32(version));
}

absl::StatusOr<uint32_t> WrappedKekVersion(const std::string& wrapped) {
  if (wrapped.size() < kWrapHeader + crypto::kGcmTagSize || wrapped[0] != kWrapVersion) {
    return absl::DataLossError("wrapped ekey is malformed");
  }
  return ReadBe32(absl::string_view(wrapped).substr(1, 4));
}

absl::StatusOr<std::unique_ptr<FileKeyStore>> FileKeyStore::Open(const std::string& state_dir) {
  std::unique_ptr<FileKeyStore> store(new FileKeyStore(state_dir));
  absl::MutexLock lock(&store->mu_);
  absl::Status st = store->Load();
  if (absl::IsNotFound(st)) {
    ASSIGN_OR_RETURN(store->current_, store->AddVersion());
    RETURN_IF_ERROR(store->Save());
  } else if (!st.ok()) {
    return st;
  }
  return store;
}

FileKeyStore::~FileKeyStore() {
  absl::MutexLock lock(&mu_);
  for (auto& [v, k] : keks_) crypto::Wipe(k);
}

absl::Status FileKeyStore::Load() {
  std::string path = state_dir_ + "/kek";
  int64_t mtime = MtimeNs(path);
  ASSIGN_OR_RETURN(std::string text, ReadSecretFile(path));
  std::map<uint32_t, std::string> keks;
  uint32_t current = 0;
  absl::Status st = Parse(text, &keks, &current);
  crypto::Wipe(text);
  if (!st.ok()) {
    return absl::DataLossError(absl::StrCat("\"", path, "\" is damaged (", st.message(),
                                            "); restore it from an export with `keys import`"));
  }
  for (auto& [v, k] : keks_) crypto::Wipe(k);
  keks_ = std::move(keks);
  current_ = current;
  loaded_mtime_ns_ = mtime;
  return absl::OkStatus();
}

absl::Status FileKeyStore::Refresh() {
  if (MtimeNs(state_dir_ + "/kek") == loaded_mtime_ns_) return absl::OkStatus();
  return Load();
}

absl::Status FileKeyStore::Save() {
  std::string text = Serialize(keks_, current_);
  absl::Status st = WriteSecretFile(state_dir_ + "/kek", text);
  crypto::Wipe(text);
  loaded_mtime_ns_ = MtimeNs(state_dir_ + "/kek");
  return st;
}

absl::StatusOr<uint32_t> FileKeyStore::AddVersion() {
  uint32_t v = 0;
  while (v == 0 || keks_.contains(v)) {
    ASSIGN_OR_RETURN(std::string r, RandomBytes(4));
    v = ReadBe32(r);
  }
  ASSIGN_OR_RETURN(keks_[v], RandomBytes(crypto::kAesKeySize));
  return v;
}

uint32_t FileKeyStore::current_version() {
  absl::MutexLock lock(&mu_);
  Refresh().IgnoreError();
  return current_;
}

absl::StatusOr<std::string> FileKeyStore::Wrap(const EkeyLabel& label, const std::string& ekey) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Refresh());
  ASSIGN_OR_RETURN(std::string nonce, RandomBytes(crypto::kGcmNonceSize));
  ASSIGN_OR_RETURN(std::string ct, crypto::AesGcmSeal(keks_.at(current_), nonce, ekey,
                                                      EkeyAad(label, current_)));
  return absl::StrCat(absl::string_view(&kWrapVersion, 1), Be32(current_), nonce, ct);
}

absl::StatusOr<std::string> FileKeyStore::Unwrap(const EkeyLabel& label,
                                                 const std::string& wrapped) {
  ASSIGN_OR_RETURN(uint32_t version, WrappedKekVersion(wrapped));
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Refresh());
  auto it = keks_.find(version);
  if (it == keks_.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this connector does not hold KEK version ", version,
        "; import it from the connector that made it (`connector_svc keys export` there, "
        "`keys import` here)"));
  }
  absl::string_view w(wrapped);
  absl::StatusOr<std::string> ekey =
      crypto::AesGcmOpen(it->second, w.substr(5, crypto::kGcmNonceSize),
                         w.substr(kWrapHeader), EkeyAad(label, version));
  if (!ekey.ok()) {
    return absl::DataLossError("wrapped ekey does not unwrap: altered, or not this user's");
  }
  return ekey;
}

absl::StatusOr<uint32_t> FileKeyStore::Rotate() {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Refresh());
  ASSIGN_OR_RETURN(uint32_t v, AddVersion());
  current_ = v;
  RETURN_IF_ERROR(Save());
  return v;
}

absl::StatusOr<std::string> FileKeyStore::Export(const std::string& passphrase) {
  if (passphrase.size() < 12) {
    return absl::InvalidArgumentError("the passphrase must be at least 12 characters");
  }
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Refresh());
  ASSIGN_OR_RETURN(std::string salt, RandomBytes(16));
  ASSIGN_OR_RETURN(std::string key, crypto::Scrypt(passphrase, salt, kScryptN, kScryptR,
                                                   kScryptP, crypto::kAesKeySize));
  ASSIGN_OR_RETURN(std::string nonce, RandomBytes(crypto::kGcmNonceSize));
  std::string text = Serialize(keks_, current_);
  absl::StatusOr<std::string> ct = crypto::AesGcmSeal(key, nonce, text, kExportMagic);
  crypto::Wipe(text);
  crypto::Wipe(key);
  if (!ct.ok()) return ct.status();
  std::string marker;
  for (const auto& [v, k] : keks_) absl::StrAppend(&marker, v, "\n");
  RETURN_IF_ERROR(WriteSecretFile(state_dir_ + "/kek-exported", marker));
  return absl::StrCat(kExportMagic, salt, nonce, *ct);
}

absl::Status FileKeyStore::Import(const std::string& exported, const std::string& passphrase) {
  size_t magic = sizeof(kExportMagic) - 1;
  if (exported.size() < magic + 16 + crypto::kGcmNonceSize + crypto::kGcmTagSize ||
      exported.compare(0, magic, kExportMagic) != 0) {
    return absl::InvalidArgumentError("not a dirbridge KEK export");
  }
  absl::string_view e(exported);
  ASSIGN_OR_RETURN(std::string key, crypto::Scrypt(passphrase, e.substr(magic, 16), kScryptN,
                                                   kScryptR, kScryptP, crypto::kAesKeySize));
  absl::StatusOr<std::string> text =
      crypto::AesGcmOpen(key, e.substr(magic + 16, crypto::kGcmNonceSize),
                         e.substr(magic + 16 + crypto::kGcmNonceSize), kExportMagic);
  crypto::Wipe(key);
  if (!text.ok()) {
    return absl::InvalidArgumentError("wrong passphrase, or the export file is damaged");
  }
  std::map<uint32_t, std::string> incoming;
  uint32_t current = 0;
  absl::Status st = Parse(*text, &incoming, &current);
  crypto::Wipe(*text);
  if (!st.ok()) return absl::InvalidArgumentError("the export file is damaged");
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Refresh());
  for (auto& [v, k] : incoming) {
    auto it = keks_.find(v);
    if (it != keks_.end() && !SecureEquals(it->second, k)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "KEK version ", v, " here differs from the one in the export; nothing imported"));
    }
  }
  for (auto& [v, k] : incoming) keks_[v] = std::move(k);
  current_ = current;
  RETURN_IF_ERROR(Save());
  // What came from an export has a copy already; what was only here
  // still has none.
  std::string marker = ReadSecretFile(state_dir_ + "/kek-exported").value_or("");
  for (const auto& [v, k] : incoming) absl::StrAppend(&marker, v, "\n");
  return WriteSecretFile(state_dir_ + "/kek-exported", marker);
}

bool FileKeyStore::NeedsBackup() {
  uint32_t current = current_version();
  absl::StatusOr<std::string> marker = ReadSecretFile(state_dir_ + "/kek-exported");
  if (!marker.ok()) return true;
  for (absl::string_view line : absl::StrSplit(*marker, '\n', absl::SkipEmpty())) {
    uint32_t v = 0;
    if (absl::SimpleAtoi(line, &v) && v == current) return false;
  }
  return true;
}

}  // namespace dirbridge::connector
