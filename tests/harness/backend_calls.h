#ifndef DIRBRIDGE_TESTS_HARNESS_BACKEND_CALLS_H_
#define DIRBRIDGE_TESTS_HARNESS_BACKEND_CALLS_H_

#include <string>
#include <vector>

#include "dirbridge/v1/mappings.grpc.pb.h"

namespace dirbridge::testing {

// Every user of a mapping, page after page of Mappings.ListUsers; the
// first failing page's status.
grpc::Status ListAllUsers(v1::Mappings::Stub& mappings, const std::string& token,
                          const std::string& mapping_id, std::vector<v1::CloudUser>* out);

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_HARNESS_BACKEND_CALLS_H_
