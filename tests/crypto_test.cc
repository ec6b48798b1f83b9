// Known-answer tests (RFC 7748, RFC 5869, the GCM spec, RFC 7914) and the
// sealed box against the Python reference in deploy/tools.

#include "common/crypto.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"

namespace dirbridge::crypto {
namespace {

std::string H(absl::string_view hex) { return absl::HexStringToBytes(hex); }
std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

TEST(CryptoKat, X25519Rfc7748) {
  std::string alice = H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  std::string bob = H("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  EXPECT_EQ(Hex(*X25519PublicFromPrivate(alice)),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  std::string bob_pub = *X25519PublicFromPrivate(bob);
  EXPECT_EQ(Hex(bob_pub), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  EXPECT_EQ(Hex(*X25519(alice, bob_pub)),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(X25519(alice, "short").status().code(), absl::StatusCode::kInvalidArgument);
  // A low-order point gives an all-zero secret; it is refused.
  EXPECT_FALSE(X25519(alice, std::string(32, '\0')).ok());
}

TEST(CryptoKat, HkdfRfc5869Case1) {
  auto okm = HkdfSha256(H("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                        H("000102030405060708090a0b0c"), H("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm.ok());
  EXPECT_EQ(Hex(*okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(CryptoKat, AesGcmTestCase16) {
  std::string key = H("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  std::string iv = H("cafebabefacedbaddecaf888");
  std::string pt = H("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  std::string aad = H("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  auto ct = AesGcmSeal(key, iv, pt, aad);
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(Hex(*ct),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
            "76fc6ece0f4e1768cddf8853bb2d551b");
  EXPECT_EQ(*AesGcmOpen(key, iv, *ct, aad), pt);
  std::string tampered = *ct;
  tampered[3] ^= 0x01;
  EXPECT_EQ(AesGcmOpen(key, iv, tampered, aad).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(AesGcmOpen(key, iv, *ct, "other aad").status().code(), absl::StatusCode::kDataLoss);
}

TEST(CryptoKat, ScryptRfc7914) {
  auto dk = Scrypt("password", "NaCl", 1024, 8, 16, 64);
  ASSERT_TRUE(dk.ok());
  EXPECT_EQ(Hex(*dk),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST(SealedBox, RoundTripAndRefusals) {
  X25519KeyPair me = *GenerateX25519();
  X25519KeyPair other = *GenerateX25519();
  auto box = Seal(me.public_key, "secret", "aad", "info");
  ASSERT_TRUE(box.ok());
  EXPECT_EQ(box->size(), kSealOverhead + 6);
  EXPECT_EQ(*SealedRecipient(*box), me.public_key);
  EXPECT_EQ(*Open(me, *box, "aad", "info"), "secret");
  EXPECT_NE(*Seal(me.public_key, "secret", "aad", "info"), *box);  // fresh ephemeral key
  EXPECT_EQ(Open(other, *box, "aad", "info").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Open(me, *box, "other", "info").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Open(me, *box, "aad", "other").status().code(), absl::StatusCode::kDataLoss);
  for (size_t i : {0ul, 40ul, box->size() - 1}) {
    std::string bad = *box;
    bad[i] ^= 0x01;
    EXPECT_FALSE(Open(me, bad, "aad", "info").ok()) << i;
  }
  EXPECT_EQ(Open(me, "short", "aad", "info").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Seal("short", "x", "", "").status().code(), absl::StatusCode::kInvalidArgument);
}

// The README's format, as a backend in another language implements it.
TEST(SealedBox, InteroperatesWithThePythonReference) {
  using ::dirbridge::testing::RunCommand;
  using ::dirbridge::testing::MakeTempDir;
  using ::dirbridge::testing::WriteFile;
  std::string tool = std::string(DIRBRIDGE_SOURCE_DIR) + "/deploy/tools/dirbridge_seal.py";
  std::string dir = MakeTempDir("seal");
  int code = 0;

  // Python seals, C++ opens.
  X25519KeyPair me = *GenerateX25519();
  WriteFile(dir + "/pw", "hunter2 (with spaces)");
  absl::StatusOr<std::string> out = RunCommand(
      {"sh", "-c", absl::StrCat("/usr/bin/python3 ", tool, " seal-password --connector-key ",
                                Hex(me.public_key), " --tenant t1 --username alice < ", dir,
                                "/pw")},
      &code);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(code, 0) << *out;
  std::string box = H(absl::StripAsciiWhitespace(*out));
  std::string aad = std::string("dirbridge-password-v1\0t1\0alice", 30);
  auto opened = Open(me, box, aad, "dirbridge sealed password v1");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "hunter2 (with spaces)");

  // C++ seals, Python opens.
  out = RunCommand({"/usr/bin/python3", tool, "keygen"}, &code);
  ASSERT_TRUE(out.ok() && code == 0);
  std::string priv_hex = out->substr(0, 64);
  std::string pub = H(absl::StripAsciiWhitespace(out->substr(65)));
  WriteFile(dir + "/priv", priv_hex, 0600);
  auto sealed = Seal(pub, "ekey bytes", "some aad", "some info");
  ASSERT_TRUE(sealed.ok());
  WriteFile(dir + "/box", Hex(*sealed));
  out = RunCommand({"sh", "-c", absl::StrCat("/usr/bin/python3 ", tool,
                                             " open --private-key-file ", dir,
                                             "/priv --aad-hex ", Hex("some aad"),
                                             " --info 'some info' < ", dir, "/box")},
                   &code);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(code, 0) << *out;
  EXPECT_EQ(H(absl::StripAsciiWhitespace(*out)), "ekey bytes");
}

}  // namespace
}  // namespace dirbridge::crypto
