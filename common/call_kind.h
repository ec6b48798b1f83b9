#ifndef DIRBRIDGE_COMMON_CALL_KIND_H_
#define DIRBRIDGE_COMMON_CALL_KIND_H_

#include "dirbridge/v1/tunnel.pb.h"

namespace dirbridge {

// A stable name for a tunnel call's kind, for logs and metric labels.
inline const char* CallKindName(v1::CallRequest::RequestCase kind) {
  switch (kind) {
    case v1::CallRequest::kEcho: return "echo";
    case v1::CallRequest::kListNamingContexts: return "list_naming_contexts";
    case v1::CallRequest::kListOrganizationalUnits: return "list_organizational_units";
    case v1::CallRequest::kListGroups: return "list_groups";
    case v1::CallRequest::kSearchUsers: return "search_users";
    case v1::CallRequest::kGetUser: return "get_user";
    case v1::CallRequest::kAuthenticate: return "authenticate";
    case v1::CallRequest::kWrapNewEkey: return "wrap_new_ekey";
    case v1::CallRequest::kSealEkeys: return "seal_ekeys";
    case v1::CallRequest::kChangePassword: return "change_password";
    case v1::CallRequest::REQUEST_NOT_SET: return "none";
  }
  return "unknown";
}

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_CALL_KIND_H_
