#ifndef DIRBRIDGE_COMMON_GRPC_SERVER_H_
#define DIRBRIDGE_COMMON_GRPC_SERVER_H_

#include <grpcpp/server_builder.h>

namespace dirbridge {

// Turns on what every dirbridge listener offers operators: server reflection
// and grpc.health.v1. Call before constructing any ServerBuilder.
void EnableReflectionAndHealth();

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_GRPC_SERVER_H_
