#include "common/secrets.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"

namespace dirbridge {

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) != 1) {
    return absl::InternalError("crypto: the random generator failed");
  }
  return out;
}

absl::StatusOr<std::string> NewSecretToken() {
  absl::StatusOr<std::string> raw = RandomBytes(32);
  if (!raw.ok()) return raw.status();
  std::string token = absl::WebSafeBase64Escape(*raw);
  OPENSSL_cleanse(raw->data(), raw->size());
  return token;
}

std::string NewId() {
  absl::StatusOr<std::string> raw = RandomBytes(16);
  // RAND_bytes only fails when the process cannot seed at all; an id is not a
  // secret, so a failure here is a broken machine, not a caller's problem.
  if (!raw.ok()) abort();
  // The first 48 bits are the time in ms (as in ULID/UUIDv7): ids made in
  // sequence sort in sequence, so the store's indexes grow at their end
  // instead of being written all over during an import.
  uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  for (int i = 0; i < 6; ++i) (*raw)[i] = static_cast<char>(ms >> (8 * (5 - i)));
  return HexEncode(*raw);
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return HexEncode(
      absl::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string HexEncode(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

bool SecureEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace dirbridge
