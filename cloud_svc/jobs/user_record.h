#ifndef DIRBRIDGE_CLOUD_SVC_JOBS_USER_RECORD_H_
#define DIRBRIDGE_CLOUD_SVC_JOBS_USER_RECORD_H_

#include <string>

#include "cloud_svc/store/store.h"
#include "dirbridge/v1/directory.pb.h"

namespace dirbridge::cloud {

// A directory user as the store keeps it (no user_id or mapping yet).
inline UserRecord ToUserRecord(const std::string& tenant_id, const v1::User& u, absl::Time now) {
  UserRecord r;
  r.tenant_id = tenant_id;
  r.directory_id = u.id();
  r.dn = u.dn();
  r.username = u.username();
  r.user_principal_name = u.user_principal_name();
  r.email = u.email();
  r.display_name = u.display_name();
  r.groups.assign(u.groups().begin(), u.groups().end());
  r.disabled = u.disabled();
  r.imported_at = now;
  return r;
}

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_JOBS_USER_RECORD_H_
