#ifndef DIRBRIDGE_TESTS_HARNESS_BAD_REQUEST_H_
#define DIRBRIDGE_TESTS_HARNESS_BAD_REQUEST_H_

#include <grpcpp/support/status.h>

#include <string>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace dirbridge::testing {

// The fields of the google.rpc.BadRequest violations in an answer's status
// details, as grpcurl would show them; empty when there is none.
inline std::vector<std::string> ViolatedFields(const grpc::Status& st) {
  google::rpc::Status details;
  std::vector<std::string> fields;
  if (!details.ParseFromString(st.error_details())) return fields;
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad;
    if (!any.UnpackTo(&bad)) continue;
    for (const auto& v : bad.field_violations()) fields.push_back(v.field());
  }
  return fields;
}

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_HARNESS_BAD_REQUEST_H_
