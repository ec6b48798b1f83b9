#ifndef DIRBRIDGE_COMMON_GRPC_STATUS_H_
#define DIRBRIDGE_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dirbridge {

// The one conversion between absl::Status and the RPC edge. The codes share
// their numbering (both are google.rpc.Code).
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);
absl::Status StatusFromCode(int code, absl::string_view message);

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_GRPC_STATUS_H_
