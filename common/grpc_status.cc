#include "common/grpc_status.h"

#include <string>

#include "common/field_error.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace dirbridge {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  if (status.code() != absl::StatusCode::kInvalidArgument) return grpc::Status(code, message);
  // Every INVALID_ARGUMENT carries a BadRequest (AIP-193): the field when
  // the check named one, else a violation of the request as a whole ("").
  google::rpc::BadRequest bad;
  google::rpc::BadRequest::FieldViolation* v = bad.add_field_violations();
  v->set_field(ErrorField(status));
  v->set_description(message);
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(message);
  details.add_details()->PackFrom(bad);
  return grpc::Status(code, message, details.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  return StatusFromCode(status.error_code(), status.error_message());
}

absl::Status StatusFromCode(int code, absl::string_view message) {
  // A peer may send a code we do not know; never pass it off as OK.
  if (code < 0 || code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    return absl::UnknownError(message);
  }
  return absl::Status(static_cast<absl::StatusCode>(code), message);
}

}  // namespace dirbridge
