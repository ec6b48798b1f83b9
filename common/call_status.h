#ifndef DIRBRIDGE_COMMON_CALL_STATUS_H_
#define DIRBRIDGE_COMMON_CALL_STATUS_H_

#include "absl/status/status.h"
#include "dirbridge/v1/tunnel.pb.h"

namespace dirbridge {

// The one conversion between a tunnel CallResult's code (a google.rpc.Code
// carried as a bare int32) and absl::Status, for both ends of the tunnel.

// Writes `status` into `result`. An error carries no response: it is
// cleared. OK leaves the response as it is.
void SetCallStatus(const absl::Status& status, v1::CallResult* result);

// The status the connector reported. A code outside google.rpc.Code
// (0..16) is UNKNOWN, never OK: the wire is the connector's word, and a
// newer or broken connector must not pass a failure off as success.
absl::Status CallResultStatus(const v1::CallResult& result);

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_CALL_STATUS_H_
