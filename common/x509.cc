#include "common/x509.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/secrets.h"

namespace dirbridge::x509 {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Req = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

absl::Status Fail(const char* what) {
  return absl::InternalError(absl::StrCat("x509: ", what, " failed"));
}

Pkey NewP256() { return Pkey(EVP_EC_gen("P-256")); }

std::string Drain(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, len);
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) {
    return Fail("writing a key");
  }
  return Drain(bio.get());
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), cert)) return Fail("writing a certificate");
  return Drain(bio.get());
}

Pkey ReadKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

Cert ReadCert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

absl::Status AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return Fail("making an extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return absl::OkStatus();
}

// A certificate skeleton: random serial, validity from a minute ago (clock
// skew) to `validity` from now, subject CN.
absl::StatusOr<Cert> Skeleton(const std::string& cn, absl::Duration validity) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  absl::StatusOr<std::string> serial = RandomBytes(16);
  if (!serial.ok()) return serial.status();
  (*serial)[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial->data()), 16, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), absl::ToInt64Seconds(validity));
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

absl::Time AsnTime(const ASN1_TIME* t) {
  struct tm tm;
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTM(tm, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<KeyAndCert> NewCa(const std::string& cn, absl::Duration validity) {
  Pkey key = NewP256();
  if (!key) return Fail("making a key");
  absl::StatusOr<Cert> cert = Skeleton(cn, validity);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  X509_set_issuer_name(c, X509_get_subject_name(c));
  X509_set_pubkey(c, key.get());
  for (auto [nid, v] : {std::pair{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                        std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                        std::pair{NID_subject_key_identifier, "hash"}}) {
    absl::Status st = AddExt(c, c, nid, v);
    if (!st.ok()) return st;
  }
  if (!X509_sign(c, key.get(), EVP_sha256())) return Fail("signing the CA");
  absl::StatusOr<std::string> key_pem = KeyPem(key.get());
  absl::StatusOr<std::string> cert_pem = CertPem(c);
  if (!key_pem.ok()) return key_pem.status();
  if (!cert_pem.ok()) return cert_pem.status();
  return KeyAndCert{*key_pem, *cert_pem};
}

absl::StatusOr<KeyAndCert> NewServerCert(const KeyAndCert& ca, const std::string& cn,
                                         const std::vector<std::string>& names,
                                         absl::Duration validity) {
  Pkey ca_key = ReadKey(ca.key_pem);
  Cert ca_cert = ReadCert(ca.cert_pem);
  if (!ca_key || !ca_cert) return Fail("reading the CA");
  Pkey key = NewP256();
  absl::StatusOr<Cert> cert = Skeleton(cn, validity);
  if (!key || !cert.ok()) return Fail("making a server certificate");
  X509* c = cert->get();
  X509_set_issuer_name(c, X509_get_subject_name(ca_cert.get()));
  X509_set_pubkey(c, key.get());
  std::string san;
  for (const std::string& n : names) {
    bool ip = !n.empty() && (n.find_first_not_of("0123456789.") == std::string::npos ||
                             n.find(':') != std::string::npos);
    absl::StrAppend(&san, san.empty() ? "" : ",", ip ? "IP:" : "DNS:", n);
  }
  for (auto [nid, v] : {std::pair{NID_basic_constraints, std::string("critical,CA:FALSE")},
                        std::pair{NID_key_usage, std::string("critical,digitalSignature")},
                        std::pair{NID_ext_key_usage, std::string("serverAuth")},
                        std::pair{NID_subject_alt_name, san}}) {
    absl::Status st = AddExt(c, ca_cert.get(), nid, v);
    if (!st.ok()) return st;
  }
  if (!X509_sign(c, ca_key.get(), EVP_sha256())) return Fail("signing a server certificate");
  absl::StatusOr<std::string> key_pem = KeyPem(key.get());
  absl::StatusOr<std::string> cert_pem = CertPem(c);
  if (!key_pem.ok()) return key_pem.status();
  if (!cert_pem.ok()) return cert_pem.status();
  return KeyAndCert{*key_pem, *cert_pem};
}

absl::StatusOr<std::string> CsrForKey(const std::string& key_pem, const std::string& cn) {
  Pkey key = ReadKey(key_pem);
  if (!key) return absl::InvalidArgumentError("x509: not a PEM private key");
  Req req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key.get());
  if (!X509_REQ_sign(req.get(), key.get(), EVP_sha256())) return Fail("signing a CSR");
  Bio bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509_REQ(bio.get(), req.get())) return Fail("writing a CSR");
  return Drain(bio.get());
}

absl::StatusOr<KeyAndCert> NewKeyAndCsr(const std::string& cn) {
  Pkey key = NewP256();
  if (!key) return Fail("making a key");
  absl::StatusOr<std::string> key_pem = KeyPem(key.get());
  if (!key_pem.ok()) return key_pem.status();
  absl::StatusOr<std::string> csr = CsrForKey(*key_pem, cn);
  if (!csr.ok()) return csr.status();
  return KeyAndCert{*key_pem, *csr};
}

absl::Status VerifyCsr(const std::string& csr_pem) {
  if (csr_pem.size() > kMaxCsrBytes) {
    return absl::InvalidArgumentError(absl::StrCat("x509: the CSR is ", csr_pem.size(),
                                                   " bytes, more than ", kMaxCsrBytes));
  }
  Bio bio(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  Req req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return absl::InvalidArgumentError("x509: the CSR is not PEM");
  Pkey pub(X509_REQ_get_pubkey(req.get()));
  if (!pub || X509_REQ_verify(req.get(), pub.get()) != 1) {
    return absl::InvalidArgumentError("x509: the CSR's signature does not verify");
  }
  char curve[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_base_id(pub.get()) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(pub.get(), "group", curve, sizeof(curve), &len) != 1 ||
      absl::string_view(curve, len) != "prime256v1") {
    return absl::InvalidArgumentError("x509: the CSR must hold an EC P-256 key");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SignClientCert(const KeyAndCert& ca, const std::string& csr_pem,
                                           const std::string& cn, const std::string& uri_san,
                                           absl::Duration validity) {
  Bio bio(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  Req req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return absl::InvalidArgumentError("x509: the CSR is not PEM");
  Pkey pub(X509_REQ_get_pubkey(req.get()));
  if (!pub || X509_REQ_verify(req.get(), pub.get()) != 1) {
    return absl::InvalidArgumentError("x509: the CSR's signature does not verify");
  }
  if (EVP_PKEY_get_base_id(pub.get()) != EVP_PKEY_EC) {
    return absl::InvalidArgumentError("x509: the CSR must hold an EC (P-256) key");
  }
  Pkey ca_key = ReadKey(ca.key_pem);
  Cert ca_cert = ReadCert(ca.cert_pem);
  if (!ca_key || !ca_cert) return Fail("reading the CA");
  absl::StatusOr<Cert> cert = Skeleton(cn, validity);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  X509_set_issuer_name(c, X509_get_subject_name(ca_cert.get()));
  X509_set_pubkey(c, pub.get());
  for (auto [nid, v] : {std::pair{NID_basic_constraints, std::string("critical,CA:FALSE")},
                        std::pair{NID_key_usage, std::string("critical,digitalSignature")},
                        std::pair{NID_ext_key_usage, std::string("clientAuth")},
                        std::pair{NID_subject_alt_name, "URI:" + uri_san}}) {
    absl::Status st = AddExt(c, ca_cert.get(), nid, v);
    if (!st.ok()) return st;
  }
  if (!X509_sign(c, ca_key.get(), EVP_sha256())) return Fail("signing a client certificate");
  return CertPem(c);
}

absl::StatusOr<CertInfo> Inspect(const std::string& cert_pem) {
  Cert cert = ReadCert(cert_pem);
  if (!cert) return absl::InvalidArgumentError("x509: not a PEM certificate");
  CertInfo info;
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof(cn) - 1);
  info.common_name = cn;
  GENERAL_NAMES* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
    GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    if (n->type == GEN_URI) {
      const ASN1_IA5STRING* s = n->d.uniformResourceIdentifier;
      info.uri_sans.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                 ASN1_STRING_length(s));
    }
  }
  GENERAL_NAMES_free(sans);
  info.not_before = AsnTime(X509_get0_notBefore(cert.get()));
  info.not_after = AsnTime(X509_get0_notAfter(cert.get()));
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len <= 0) return Fail("encoding a certificate");
  info.sha256_hex = Sha256Hex(absl::string_view(reinterpret_cast<char*>(der), len));
  OPENSSL_free(der);
  return info;
}

namespace {

absl::StatusOr<std::string> KeySha256(EVP_PKEY* key) {
  if (key == nullptr) return absl::InvalidArgumentError("x509: no public key");
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return Fail("encoding a public key");
  std::string out = Sha256Hex(absl::string_view(reinterpret_cast<char*>(der), len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

absl::StatusOr<std::string> CsrKeySha256(const std::string& csr_pem) {
  Bio bio(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  Req req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return absl::InvalidArgumentError("x509: the CSR is not PEM");
  Pkey pub(X509_REQ_get_pubkey(req.get()));
  return KeySha256(pub.get());
}

absl::StatusOr<std::string> CertKeySha256(const std::string& cert_pem) {
  Cert cert = ReadCert(cert_pem);
  if (!cert) return absl::InvalidArgumentError("x509: not a PEM certificate");
  return KeySha256(X509_get0_pubkey(cert.get()));
}

std::string DerSha256Hex(const std::string& der) { return Sha256Hex(der); }

absl::StatusOr<std::string> DerToPem(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  Cert cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return absl::InvalidArgumentError("x509: not a DER certificate");
  return CertPem(cert.get());
}

}  // namespace dirbridge::x509
