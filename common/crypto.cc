#include "common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::crypto {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

absl::Status Fail(absl::string_view what) {
  return absl::InternalError(absl::StrCat("crypto: ", what, " failed"));
}

}  // namespace

void Wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

absl::StatusOr<X25519KeyPair> GenerateX25519() {
  ASSIGN_OR_RETURN(std::string priv, RandomBytes(kX25519KeySize));
  ASSIGN_OR_RETURN(std::string pub, X25519PublicFromPrivate(priv));
  return X25519KeyPair{std::move(priv), std::move(pub)};
}

absl::StatusOr<std::string> X25519PublicFromPrivate(absl::string_view private_key) {
  if (private_key.size() != kX25519KeySize) {
    return absl::InvalidArgumentError("crypto: an X25519 private key is 32 bytes");
  }
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, U(private_key),
                                        private_key.size()));
  if (!key) return Fail("loading an X25519 private key");
  std::string pub(kX25519KeySize, '\0');
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), U(pub), &len) != 1 || len != kX25519KeySize) {
    return Fail("deriving an X25519 public key");
  }
  return pub;
}

absl::StatusOr<std::string> X25519(absl::string_view private_key,
                                   absl::string_view peer_public_key) {
  if (private_key.size() != kX25519KeySize || peer_public_key.size() != kX25519KeySize) {
    return absl::InvalidArgumentError("crypto: X25519 keys are 32 bytes");
  }
  Pkey priv(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, U(private_key),
                                         private_key.size()));
  Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, U(peer_public_key),
                                        peer_public_key.size()));
  if (!priv || !peer) return Fail("loading X25519 keys");
  PkeyCtx ctx(EVP_PKEY_CTX_new(priv.get(), nullptr));
  std::string shared(kX25519KeySize, '\0');
  size_t len = shared.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), U(shared), &len) != 1 || len != kX25519KeySize) {
    // OpenSSL refuses an all-zero shared secret (a low-order peer key).
    return absl::InvalidArgumentError("crypto: X25519 with that public key failed");
  }
  return shared;
}

absl::StatusOr<std::string> HkdfSha256(absl::string_view ikm, absl::string_view salt,
                                       absl::string_view info, size_t length) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  std::string out(length, '\0');
  size_t len = length;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), U(salt), static_cast<int>(salt.size())) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), U(ikm), static_cast<int>(ikm.size())) != 1 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), U(info), static_cast<int>(info.size())) != 1 ||
      EVP_PKEY_derive(ctx.get(), U(out), &len) != 1 || len != length) {
    return Fail("HKDF-SHA256");
  }
  return out;
}

absl::StatusOr<std::string> AesGcmSeal(absl::string_view key, absl::string_view nonce,
                                       absl::string_view plaintext, absl::string_view aad) {
  if (key.size() != kAesKeySize || nonce.size() != kGcmNonceSize) {
    return absl::InvalidArgumentError("crypto: AES-256-GCM takes a 32-byte key, 12-byte nonce");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out(plaintext.size() + kGcmTagSize, '\0');
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(nonce)) != 1 ||
      (!aad.empty() &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), U(out), &len, U(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), U(out) + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize,
                          U(out) + plaintext.size()) != 1) {
    return Fail("AES-256-GCM seal");
  }
  return out;
}

absl::StatusOr<std::string> AesGcmOpen(absl::string_view key, absl::string_view nonce,
                                       absl::string_view ciphertext_and_tag,
                                       absl::string_view aad) {
  if (key.size() != kAesKeySize || nonce.size() != kGcmNonceSize) {
    return absl::InvalidArgumentError("crypto: AES-256-GCM takes a 32-byte key, 12-byte nonce");
  }
  if (ciphertext_and_tag.size() < kGcmTagSize) {
    return absl::DataLossError("crypto: ciphertext shorter than its tag");
  }
  size_t ct_len = ciphertext_and_tag.size() - kGcmTagSize;
  std::string tag(ciphertext_and_tag.substr(ct_len));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out(ct_len, '\0');
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(nonce)) != 1 ||
      (!aad.empty() &&
       EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), U(out), &len, U(ciphertext_and_tag),
                        static_cast<int>(ct_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, U(tag)) != 1) {
    return Fail("AES-256-GCM open");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), U(out) + len, &len) != 1) {
    Wipe(out);
    return absl::DataLossError("crypto: authentication tag does not verify");
  }
  return out;
}

absl::StatusOr<std::string> Scrypt(absl::string_view passphrase, absl::string_view salt,
                                   uint64_t n, uint64_t r, uint64_t p, size_t length) {
  std::string out(length, '\0');
  // Memory bound: 128 * r * n bytes, plus headroom.
  uint64_t maxmem = 128 * r * n + (1 << 20);
  if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(), U(salt), salt.size(), n, r, p,
                     maxmem, U(out), length) != 1) {
    return Fail("scrypt");
  }
  return out;
}

namespace {

absl::StatusOr<std::string> BoxKey(absl::string_view shared, absl::string_view eph_pub,
                                   absl::string_view recipient_pub, absl::string_view info) {
  return HkdfSha256(shared, absl::StrCat(eph_pub, recipient_pub), info, kAesKeySize);
}

}  // namespace

absl::StatusOr<BoxSealer> BoxSealer::New(absl::string_view recipient_public_key,
                                         absl::string_view info) {
  if (recipient_public_key.size() != kX25519KeySize) {
    return absl::InvalidArgumentError("crypto: the recipient key must be 32 raw bytes");
  }
  ASSIGN_OR_RETURN(X25519KeyPair eph, GenerateX25519());
  absl::StatusOr<std::string> shared = X25519(eph.private_key, recipient_public_key);
  Wipe(eph.private_key);
  if (!shared.ok()) return shared.status();
  absl::StatusOr<std::string> key = BoxKey(*shared, eph.public_key, recipient_public_key, info);
  Wipe(*shared);
  if (!key.ok()) return key.status();
  BoxSealer sealer;
  sealer.header_ =
      absl::StrCat(absl::string_view(&kSealVersion, 1), recipient_public_key, eph.public_key);
  sealer.key_ = std::move(*key);
  return sealer;
}

absl::StatusOr<std::string> BoxSealer::Seal(absl::string_view plaintext,
                                            absl::string_view aad) const {
  ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kGcmNonceSize));
  ASSIGN_OR_RETURN(std::string ct, AesGcmSeal(key_, nonce, plaintext, aad));
  return absl::StrCat(header_, nonce, ct);
}

absl::StatusOr<std::string> Seal(absl::string_view recipient_public_key,
                                 absl::string_view plaintext, absl::string_view aad,
                                 absl::string_view info) {
  ASSIGN_OR_RETURN(BoxSealer sealer, BoxSealer::New(recipient_public_key, info));
  return sealer.Seal(plaintext, aad);
}

absl::StatusOr<std::string> SealedRecipient(absl::string_view sealed) {
  if (sealed.size() < kSealOverhead || sealed[0] != kSealVersion) {
    return absl::InvalidArgumentError("crypto: not a sealed box of version 1");
  }
  return std::string(sealed.substr(1, kX25519KeySize));
}

absl::StatusOr<std::string> Open(const X25519KeyPair& recipient, absl::string_view sealed,
                                 absl::string_view aad, absl::string_view info) {
  ASSIGN_OR_RETURN(std::string named, SealedRecipient(sealed));
  if (!SecureEquals(named, recipient.public_key)) {
    return absl::InvalidArgumentError("crypto: the box is sealed to another key");
  }
  absl::string_view eph_pub = sealed.substr(1 + kX25519KeySize, kX25519KeySize);
  absl::string_view nonce = sealed.substr(1 + 2 * kX25519KeySize, kGcmNonceSize);
  absl::string_view ct = sealed.substr(1 + 2 * kX25519KeySize + kGcmNonceSize);
  ASSIGN_OR_RETURN(std::string shared, X25519(recipient.private_key, eph_pub));
  absl::StatusOr<std::string> key = BoxKey(shared, eph_pub, recipient.public_key, info);
  Wipe(shared);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> plain = AesGcmOpen(*key, nonce, ct, aad);
  Wipe(*key);
  return plain;
}

}  // namespace dirbridge::crypto
