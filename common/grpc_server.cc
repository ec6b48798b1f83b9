#include "common/grpc_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "grpc/health/v1/health.pb.h"

namespace dirbridge {

void EnableReflectionAndHealth() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // gRPC's built-in health service does not use the generated descriptor;
  // touching it links health.proto into the pool reflection reads from.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
}

}  // namespace dirbridge
