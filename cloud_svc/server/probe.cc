#include "cloud_svc/server/probe.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <iostream>

#include "cloud_svc/server/startup_files.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace dirbridge::cloud {

int Probe(const ProbeTarget& target) {
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!target.ca_file.empty()) {
    absl::StatusOr<std::string> pem = ReadFile(target.ca_file);
    if (!pem.ok()) {
      std::cerr << pem.status().message() << "\n";
      return 1;
    }
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = *pem;
    creds = grpc::SslCredentials(o);
  }
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(target.address, creds));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status st = stub->Check(&ctx, {}, &resp);
  bool ok = st.ok() && resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  std::cout << (ok ? "SERVING" : "NOT SERVING: " + st.error_message()) << "\n";
  return ok ? 0 : 1;
}

}  // namespace dirbridge::cloud
