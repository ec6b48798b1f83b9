// Mutual TLS on the tunnel: pinned cloud identity, connector certificates,
// renewal, and the refusals.

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "common/x509.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/stack.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

class MtlsTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    SlapdOptions opts;
    opts.users = 5;
    slapd_ = std::make_unique<Slapd>(opts);
    ASSERT_TRUE(slapd_->Start().ok());
    CloudSvc::Options co;
    co.tls = true;
    co.extra_flags = std::move(flags);
    absl::Status st = cloud_.Start(co);
    ASSERT_TRUE(st.ok()) << st;
    absl::StatusOr<Tenant> t = cloud_.CreateTenant("acme");
    ASSERT_TRUE(t.ok()) << t.status();
    tenant_ = *t;
  }

  v1::GetRegistrationKeyResponse NewKey(std::string* connector_id) {
    v1::CreateConnectorRequest creq;
    creq.set_name("dc");
    v1::Connector c;
    EXPECT_TRUE(cloud_.admin().CreateConnector(Ctx(tenant_.token).get(), creq, &c).ok());
    *connector_id = c.connector_id();
    v1::GetRegistrationKeyRequest kreq;
    kreq.set_connector_id(c.connector_id());
    v1::GetRegistrationKeyResponse key;
    EXPECT_TRUE(cloud_.admin().GetRegistrationKey(Ctx(tenant_.token).get(), kreq, &key).ok());
    return key;
  }

  int Register(const std::string& key, const std::string& pin, const std::string& state,
               std::string* out) {
    int code = -1;
    absl::StatusOr<std::string> o = RunCommand(
        {ConnectorBinary(), "register", "--cloud", cloud_.tunnel_address(), "--state_dir", state,
         "--ca_sha256", pin},
        &code, {"DIRBRIDGE_REGISTRATION_KEY=" + key});
    *out = o.value_or("");
    return code;
  }

  // A Connect with these credentials: how the stream ended.
  grpc::Status TryConnect(const std::string& cert, const std::string& key) {
    auto stub = cloud_.TunnelStub(cert, key);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    auto stream = stub->Connect(&ctx);
    v1::ConnectorFrame hello;
    hello.mutable_hello()->set_protocol_revision(1);
    stream->Write(hello);
    v1::CloudFrame frame;
    while (stream->Read(&frame)) {
      if (frame.has_settings()) {
        ctx.TryCancel();
        return grpc::Status::OK;
      }
    }
    return stream->Finish();
  }

  std::unique_ptr<Slapd> slapd_;
  CloudSvc cloud_;
  Tenant tenant_;
};

TEST_F(MtlsTest, FullFlowOverTls) {
  Start();
  ConnectorSvc c(&cloud_, slapd_.get());
  absl::Status st = c.Register(tenant_.token, "dc1");
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_TRUE(c.Run().ok());
  ASSERT_TRUE(cloud_.WaitForStatus(tenant_.token, c.connector_id(), v1::CONNECTOR_STATUS_CONNECTED,
                                   absl::Seconds(10)))
      << c.process().Log();
  v1::ListNamingContextsResponse nc;
  ASSERT_TRUE(cloud_.directory().ListNamingContexts(Ctx(tenant_.token).get(), {}, &nc).ok());
  EXPECT_EQ(nc.naming_contexts_size(), 1);
  // Its certificate names it, and its key is its own, kept 0600.
  std::string cert = ReadFileOrEmpty(c.state_dir() + "/client-cert.pem");
  absl::StatusOr<x509::CertInfo> info = x509::Inspect(cert);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, c.connector_id());
  ASSERT_EQ(info->uri_sans.size(), 1u);
  EXPECT_THAT(info->uri_sans[0], HasSubstr(tenant_.tenant_id));
  EXPECT_GT(info->not_after - absl::Now(), absl::Hours(24 * 89));
  struct stat s;
  ASSERT_EQ(stat((c.state_dir() + "/client-key.pem").c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(c.state_dir().c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 0777, 0700u);
}

TEST_F(MtlsTest, WrongCaHashSendsNoKey) {
  Start();
  std::string id;
  v1::GetRegistrationKeyResponse key = NewKey(&id);
  ASSERT_EQ(key.ca_sha256().size(), 64u);
  std::string wrong = key.ca_sha256();
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  std::string out;
  EXPECT_NE(Register(key.registration_key(), wrong, MakeTempDir("st") + "/s", &out), 0);
  EXPECT_THAT(out, HasSubstr("not sending the registration key"));
  // The key was never sent: it still works, once, with the right pin.
  EXPECT_EQ(Register(key.registration_key(), key.ca_sha256(), MakeTempDir("st") + "/s", &out), 0)
      << out;
}

TEST_F(MtlsTest, ConnectorRefusesACloudWithAnotherCa) {
  Start();
  ConnectorSvc c(&cloud_, slapd_.get());
  ASSERT_TRUE(c.Register(tenant_.token, "dc1").ok());
  // Another cloud on the same address: same flags, its own CA.
  cloud_.Kill();
  std::string data = cloud_.data_dir();
  for (const char* f : {"/tunnel-ca.pem", "/tunnel-ca-key.pem"}) std::remove((data + f).c_str());
  ASSERT_TRUE(cloud_.Restart().ok());
  ASSERT_TRUE(c.Run().ok());
  // Refused, and refused again on its retry: it never settled for this cloud.
  auto downs = [&] {
    std::string log = c.process().Log();
    int n = 0;
    for (size_t at = 0; (at = log.find("event=tunnel_down", at)) != std::string::npos; ++at) ++n;
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return downs() >= 2; }, absl::Seconds(10)));
  EXPECT_EQ(c.process().Log().find("event=tunnel_up"), std::string::npos);
  absl::StatusOr<v1::Connector> status = cloud_.GetConnector(tenant_.token, c.connector_id());
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->status(), v1::CONNECTOR_STATUS_CONNECTED);
}

TEST_F(MtlsTest, StreamsWithoutAGoodCertificateAreRefused) {
  Start();
  ConnectorSvc c(&cloud_, slapd_.get());
  ASSERT_TRUE(c.Register(tenant_.token, "dc1").ok());
  std::string cert = ReadFileOrEmpty(c.state_dir() + "/client-cert.pem");
  std::string key = ReadFileOrEmpty(c.state_dir() + "/client-key.pem");
  EXPECT_TRUE(TryConnect(cert, key).ok());  // the real one gets in

  EXPECT_EQ(TryConnect("", "").error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // Signed by another CA.
  auto other_ca = x509::NewCa("impostor", absl::Hours(1));
  auto csr = x509::CsrForKey(key, "x");
  auto forged = x509::SignClientCert(*other_ca, *csr, c.connector_id(),
                                     absl::StrCat("dirbridge://tenant/", tenant_.tenant_id,
                                                  "/connector/", c.connector_id()),
                                     absl::Hours(1));
  ASSERT_TRUE(forged.ok());
  EXPECT_FALSE(TryConnect(*forged, key).ok());

  // Signed by the right CA, but expired.
  x509::KeyAndCert ca{ReadFileOrEmpty(cloud_.data_dir() + "/tunnel-ca-key.pem"),
                      cloud_.tunnel_ca_pem()};
  auto expired = x509::SignClientCert(ca, *csr, c.connector_id(),
                                      absl::StrCat("dirbridge://tenant/", tenant_.tenant_id,
                                                   "/connector/", c.connector_id()),
                                      absl::Seconds(-30));
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(TryConnect(*expired, key).ok());

  // The real one, once the connector is deleted.
  v1::DeleteConnectorRequest del;
  del.set_connector_id(c.connector_id());
  v1::DeleteConnectorResponse dresp;
  ASSERT_TRUE(cloud_.admin().DeleteConnector(Ctx(tenant_.token).get(), del, &dresp).ok());
  EXPECT_EQ(TryConnect(cert, key).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(MtlsTest, CertificateRenewsAndTheConnectorOutlivesTheOldOne) {
  Start({"--client_cert_validity", "6s"});
  ConnectorSvc c(&cloud_, slapd_.get());
  ASSERT_TRUE(c.Register(tenant_.token, "dc1").ok());
  std::string first = ReadFileOrEmpty(c.state_dir() + "/client-cert.pem");
  absl::Time old_expiry = x509::Inspect(first)->not_after;
  ASSERT_TRUE(c.Run().ok());
  ASSERT_TRUE(cloud_.WaitForStatus(tenant_.token, c.connector_id(), v1::CONNECTOR_STATUS_CONNECTED,
                                   absl::Seconds(10)));
  ASSERT_TRUE(WaitFor([&] { return c.process().Log().find("event=certificate_renewed") !=
                                   std::string::npos; },
                      absl::Seconds(10)));
  // Past the first certificate's end, a fresh connection still gets in.
  ASSERT_TRUE(WaitFor([&] { return absl::Now() > old_expiry + absl::Seconds(1); },
                      absl::Seconds(15)));
  cloud_.Kill();
  ASSERT_TRUE(cloud_.Restart().ok());
  EXPECT_TRUE(cloud_.WaitForStatus(tenant_.token, c.connector_id(),
                                   v1::CONNECTOR_STATUS_CONNECTED, absl::Seconds(10)))
      << c.process().Log();
  EXPECT_NE(ReadFileOrEmpty(c.state_dir() + "/client-cert.pem"), first);
}

TEST_F(MtlsTest, SecretFilesOthersCanReadStopTheConnector) {
  Start();
  ConnectorSvc c(&cloud_, slapd_.get());
  ASSERT_TRUE(c.Register(tenant_.token, "dc1").ok());
  std::string key = c.state_dir() + "/client-key.pem";
  chmod(key.c_str(), 0640);
  ASSERT_TRUE(c.Run().ok());
  absl::StatusOr<int> code = c.process().Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok());
  EXPECT_NE(*code, 0);
  EXPECT_THAT(c.process().Log(), HasSubstr("chmod 600 " + key));
}

}  // namespace
}  // namespace dirbridge::testing
