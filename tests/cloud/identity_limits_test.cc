// Registration and the demo bootstrap: a bad CSR does not burn a
// registration key, and bootstrap files are private.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "cloud_svc/identity/bootstrap.h"
#include "cloud_svc/identity/registrar.h"
#include "cloud_svc/identity/tunnel_ca.h"
#include "cloud_svc/store/memory_store.h"
#include "common/x509.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dirbridge::cloud {
namespace {

using ::testing::HasSubstr;

std::string TempDir() {
  std::string tmpl = ::testing::TempDir() + "dirbridge-identity-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) abort();
  return tmpl;
}

// A well-formed CSR for a key the CA does not sign (RSA).
std::string RsaCsr() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_pubkey(req, key);
  X509_REQ_sign(req, key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, len);
  BIO_free(bio);
  X509_REQ_free(req);
  EVP_PKEY_free(key);
  return pem;
}

// A P-256 CSR whose signature is another key's.
std::string ForeignSignedCsr() {
  absl::StatusOr<x509::KeyAndCert> a = x509::NewKeyAndCsr("a");
  absl::StatusOr<x509::KeyAndCert> b = x509::NewKeyAndCsr("b");
  BIO* kb = BIO_new_mem_buf(b->key_pem.data(), static_cast<int>(b->key_pem.size()));
  EVP_PKEY* other = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO* rb = BIO_new_mem_buf(a->cert_pem.data(), static_cast<int>(a->cert_pem.size()));
  X509_REQ* req = PEM_read_bio_X509_REQ(rb, nullptr, nullptr, nullptr);
  X509_REQ_sign(req, other, EVP_sha256());  // a's key, b's signature
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(out, req);
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  std::string pem(data, len);
  BIO_free(out);
  BIO_free(rb);
  BIO_free(kb);
  X509_REQ_free(req);
  EVP_PKEY_free(other);
  return pem;
}

class RegistrarCsrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ASSERT_TRUE(store_.CreateTenant({"t1", "acme", absl::Now()}, "hash-t1").ok());
    ConnectorRecord c;
    c.tenant_id = "t1";
    c.connector_id = "c1";
    c.name = "dc";
    c.created_at = absl::Now();
    ASSERT_TRUE(store_.CreateConnector(c).ok());
    absl::StatusOr<std::unique_ptr<TunnelCa>> ca = TunnelCa::LoadOrCreate(dir_, {"localhost"});
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    registrar_ = std::make_unique<Registrar>(&store_, absl::Hours(1), ca_.get());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  MemoryStore store_;
  std::unique_ptr<TunnelCa> ca_;
  std::unique_ptr<Registrar> registrar_;
};

TEST_F(RegistrarCsrTest, ABadCsrDoesNotBurnTheKey) {
  absl::StatusOr<IssuedKey> key = registrar_->IssueKey("t1", "c1", absl::ZeroDuration());
  ASSERT_TRUE(key.ok()) << key.status();
  v1::RegisterRequest request;
  request.set_registration_key(key->key);
  for (const std::string& bad :
       {std::string("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
        RsaCsr(), ForeignSignedCsr(), std::string(x509::kMaxCsrBytes + 1, 'A')}) {
    request.set_csr_pem(bad);
    absl::StatusOr<v1::RegisterResponse> refused = registrar_->Redeem(request);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr("was not used"));
  }
  EXPECT_EQ(store_.calls("RedeemRegistrationKey"), 0);
  absl::StatusOr<x509::KeyAndCert> good = x509::NewKeyAndCsr("connector");
  ASSERT_TRUE(good.ok());
  request.set_csr_pem(good->cert_pem);
  absl::StatusOr<v1::RegisterResponse> registered = registrar_->Redeem(request);
  ASSERT_TRUE(registered.ok()) << registered.status();
  EXPECT_EQ(registered->connector_id(), "c1");
  EXPECT_FALSE(registered->certificate_pem().empty());
}

TEST(VerifyCsrTest, SaysWhatIsWrong) {
  EXPECT_THAT(std::string(x509::VerifyCsr("nope").message()), HasSubstr("not PEM"));
  EXPECT_THAT(std::string(x509::VerifyCsr(RsaCsr()).message()), HasSubstr("P-256"));
  EXPECT_THAT(std::string(x509::VerifyCsr(ForeignSignedCsr()).message()),
              HasSubstr("signature"));
  EXPECT_TRUE(x509::VerifyCsr(x509::NewKeyAndCsr("x")->cert_pem).ok());
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

TEST(BootstrapTest, EveryFileIs0600AndTheDirectory0700) {
  std::string root = TempDir();
  std::string dir = root + "/bootstrap";
  // An older, readable file is narrowed when it is rewritten.
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  { std::ofstream(dir + "/registration.key") << "old"; }
  chmod((dir + "/registration.key").c_str(), 0644);
  MemoryStore store;
  Registrar registrar(&store, absl::Hours(1));
  ASSERT_TRUE(BootstrapBackendTls(dir, dir + "/backend.pem", dir + "/backend-key.pem",
                                  {"localhost"}).ok());
  ASSERT_TRUE(BootstrapDemoTenant(dir, &store, &registrar).ok());
  EXPECT_EQ(ModeOf(dir), 0700u);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(ModeOf(entry.path()), 0600u) << entry.path();
    ++files;
  }
  EXPECT_EQ(files, 6);  // backend-ca, backend, backend-key, registration.key, ca_sha256, token
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace dirbridge::cloud
