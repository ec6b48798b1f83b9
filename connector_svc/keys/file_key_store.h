#ifndef DIRBRIDGE_CONNECTOR_SVC_KEYS_FILE_KEY_STORE_H_
#define DIRBRIDGE_CONNECTOR_SVC_KEYS_FILE_KEY_STORE_H_

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "connector_svc/keys/key_store.h"

namespace dirbridge::connector {

// KEK versions in <state_dir>/kek (0600): one line per version,
// "<version> <hex key>", and "current <version>". A version is a random
// 32-bit number, so that versions made on two connectors never collide when
// one imports the other's. The file is read again when it changes, so
// `connector_svc keys rotate` reaches a running connector.
class FileKeyStore : public KeyStore {
 public:
  // Opens the store, making a first KEK when there is none.
  static absl::StatusOr<std::unique_ptr<FileKeyStore>> Open(const std::string& state_dir);
  ~FileKeyStore() override;

  absl::StatusOr<std::string> Wrap(const EkeyLabel& label, const std::string& ekey) override;
  absl::StatusOr<std::string> Unwrap(const EkeyLabel& label, const std::string& wrapped) override;
  uint32_t current_version() override;

  // Adds a version and makes it current.
  absl::StatusOr<uint32_t> Rotate();
  // Every version under `passphrase` (scrypt, then AES-256-GCM); records
  // that these versions have a copy.
  absl::StatusOr<std::string> Export(const std::string& passphrase);
  // Adds the versions of an export and makes its current version current
  // here too. INVALID_ARGUMENT for a wrong passphrase or a damaged file.
  absl::Status Import(const std::string& exported, const std::string& passphrase);
  // True while the current version has never been exported: losing this
  // machine would lose every ekey wrapped under it.
  bool NeedsBackup();

 private:
  explicit FileKeyStore(std::string state_dir) : state_dir_(std::move(state_dir)) {}
  absl::Status Load() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Save() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Refresh() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<uint32_t> AddVersion() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string state_dir_;
  absl::Mutex mu_;
  std::map<uint32_t, std::string> keks_ ABSL_GUARDED_BY(mu_);
  uint32_t current_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t loaded_mtime_ns_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_KEYS_FILE_KEY_STORE_H_
