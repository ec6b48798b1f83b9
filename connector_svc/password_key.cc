#include "connector_svc/password_key.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "connector_svc/secret_file.h"

namespace dirbridge::connector {

absl::StatusOr<crypto::X25519KeyPair> LoadOrCreatePasswordKey(const std::string& state_dir) {
  std::string path = state_dir + "/password-key";
  absl::StatusOr<std::string> hex = ReadSecretFile(path);
  if (absl::IsNotFound(hex.status())) {
    ASSIGN_OR_RETURN(crypto::X25519KeyPair pair, crypto::GenerateX25519());
    std::string encoded = absl::BytesToHexString(pair.private_key);
    absl::Status st = WriteSecretFile(path, encoded + "\n");
    crypto::Wipe(encoded);
    if (!st.ok()) return st;
    return pair;
  }
  if (!hex.ok()) return hex.status();
  std::string raw = absl::HexStringToBytes(absl::StripAsciiWhitespace(*hex));
  crypto::Wipe(*hex);
  if (raw.size() != crypto::kX25519KeySize) {
    return absl::DataLossError(absl::StrCat("\"", path, "\" is damaged; remove it to make a new key"));
  }
  absl::StatusOr<std::string> pub = crypto::X25519PublicFromPrivate(raw);
  if (!pub.ok()) return pub.status();
  return crypto::X25519KeyPair{std::move(raw), std::move(*pub)};
}

}  // namespace dirbridge::connector
