#ifndef DIRBRIDGE_COMMON_FIELD_ERROR_H_
#define DIRBRIDGE_COMMON_FIELD_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dirbridge {

// An INVALID_ARGUMENT that names the request field at fault (a proto field
// path: "page_size", "mapping.base_dn", "update_mask"). The RPC edge
// (ToGrpcStatus) answers it with a google.rpc.BadRequest field violation
// in the status details, so that grpcurl and buf curl show which field is
// wrong; across the tunnel the field rides in CallResult.field.
absl::Status FieldError(absl::string_view field, absl::string_view message);

// The field a FieldError names; "" for any other status.
std::string ErrorField(const absl::Status& status);

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_FIELD_ERROR_H_
