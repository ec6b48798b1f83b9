#include "tests/harness/backend_calls.h"

#include "tests/harness/stack.h"

namespace dirbridge::testing {

grpc::Status ListAllUsers(v1::Mappings::Stub& mappings, const std::string& token,
                          const std::string& mapping_id, std::vector<v1::CloudUser>* out) {
  std::string page_token;
  do {
    v1::ListUsersRequest req;
    req.set_mapping_id(mapping_id);
    req.set_page_size(1000);
    req.set_page_token(page_token);
    v1::ListUsersResponse resp;
    grpc::Status st = mappings.ListUsers(Ctx(token).get(), req, &resp);
    if (!st.ok()) return st;
    out->insert(out->end(), resp.users().begin(), resp.users().end());
    page_token = resp.next_page_token();
  } while (!page_token.empty());
  return grpc::Status::OK;
}

}  // namespace dirbridge::testing
