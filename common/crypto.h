#ifndef DIRBRIDGE_COMMON_CRYPTO_H_
#define DIRBRIDGE_COMMON_CRYPTO_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dirbridge::crypto {

// The few primitives dirbridge needs, through OpenSSL's EVP API and kept to
// calls BoringSSL also has. Keys and plaintexts are std::string bytes;
// callers wipe them with Wipe() when done.

// Overwrites a secret (OPENSSL_cleanse) and empties it.
void Wipe(std::string& secret);

inline constexpr size_t kX25519KeySize = 32;
inline constexpr size_t kAesKeySize = 32;
inline constexpr size_t kGcmNonceSize = 12;
inline constexpr size_t kGcmTagSize = 16;

struct X25519KeyPair {
  std::string private_key;  // 32 raw bytes
  std::string public_key;   // 32 raw bytes
};

absl::StatusOr<X25519KeyPair> GenerateX25519();
// The public half of a raw private key.
absl::StatusOr<std::string> X25519PublicFromPrivate(absl::string_view private_key);
// RFC 7748 X25519(private, peer public): the 32-byte shared secret.
// INVALID_ARGUMENT for keys of the wrong size or an all-zero result.
absl::StatusOr<std::string> X25519(absl::string_view private_key,
                                   absl::string_view peer_public_key);

// RFC 5869 HKDF with SHA-256.
absl::StatusOr<std::string> HkdfSha256(absl::string_view ikm, absl::string_view salt,
                                       absl::string_view info, size_t length);

// AES-256-GCM. Seal returns ciphertext || 16-byte tag. Open fails with
// DATA_LOSS when the tag does not verify (wrong key, tampering, wrong AAD).
absl::StatusOr<std::string> AesGcmSeal(absl::string_view key, absl::string_view nonce,
                                       absl::string_view plaintext, absl::string_view aad);
absl::StatusOr<std::string> AesGcmOpen(absl::string_view key, absl::string_view nonce,
                                       absl::string_view ciphertext_and_tag,
                                       absl::string_view aad);

// scrypt (RFC 7914) through EVP_PBE_scrypt.
absl::StatusOr<std::string> Scrypt(absl::string_view passphrase, absl::string_view salt,
                                   uint64_t n, uint64_t r, uint64_t p, size_t length);

// Sealed box to an X25519 public key, one fresh ephemeral key per message:
//   0x01 || recipient_public(32) || ephemeral_public(32) || nonce(12) ||
//   AES-256-GCM(key, nonce, plaintext, aad) (ciphertext || tag(16))
// key = HKDF-SHA256(ikm = X25519(ephemeral, recipient),
//                   salt = ephemeral_public || recipient_public,
//                   info = `info`, 32 bytes).
// The recipient's public key travels in the box so that a router can tell
// whose box it is without opening it.
inline constexpr char kSealVersion = 0x01;
inline constexpr size_t kSealOverhead = 1 + 32 + 32 + kGcmNonceSize + kGcmTagSize;

absl::StatusOr<std::string> Seal(absl::string_view recipient_public_key,
                                 absl::string_view plaintext, absl::string_view aad,
                                 absl::string_view info);
// Seals many boxes to one recipient with one ephemeral key (one X25519 per
// batch instead of per box): each box has its own random nonce and AAD and
// opens on its own with Open(). Not thread-safe; wipes its key when done.
class BoxSealer {
 public:
  static absl::StatusOr<BoxSealer> New(absl::string_view recipient_public_key,
                                       absl::string_view info);
  BoxSealer(BoxSealer&& other) noexcept = default;
  BoxSealer& operator=(BoxSealer&& other) noexcept = default;
  ~BoxSealer() { Wipe(key_); }

  absl::StatusOr<std::string> Seal(absl::string_view plaintext, absl::string_view aad) const;

 private:
  BoxSealer() = default;
  std::string header_;  // version || recipient_public || ephemeral_public
  std::string key_;
};

// INVALID_ARGUMENT for a malformed box or one for another key; DATA_LOSS when
// it does not open (tampered, or sealed under another AAD).
absl::StatusOr<std::string> Open(const X25519KeyPair& recipient, absl::string_view sealed,
                                 absl::string_view aad, absl::string_view info);
// The recipient public key a box names, without opening it.
absl::StatusOr<std::string> SealedRecipient(absl::string_view sealed);

}  // namespace dirbridge::crypto

#endif  // DIRBRIDGE_COMMON_CRYPTO_H_
