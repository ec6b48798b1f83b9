#ifndef DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_ROWS_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_ROWS_H_

// Row layouts SqliteStore's files share: users are read by the user and the
// deployment parts alike (in kUserColumns' order). Internal to SqliteStore.

#include <string>
#include <vector>

#include "cloud_svc/store/lines.h"
#include "cloud_svc/store/records.h"
#include "cloud_svc/store/sqlite_db.h"

namespace dirbridge::cloud::sqlite_rows {

inline UserRecord ReadUser(const SqliteStatement& s) {
  UserRecord u;
  u.tenant_id = s.Text(0);
  u.user_id = s.Text(1);
  u.mapping_id = s.Text(2);
  u.directory_id = s.Text(3);
  u.dn = s.Text(4);
  u.username = s.Text(5);
  u.user_principal_name = s.Text(6);
  u.email = s.Text(7);
  u.display_name = s.Text(8);
  u.groups = SplitLines(s.Text(9));
  u.disabled = s.Int(10) != 0;
  u.state = static_cast<UserState>(s.Int(11));
  u.imported_at = FromSqlTime(s.Int(12));
  return u;
}

}  // namespace dirbridge::cloud::sqlite_rows

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_SQLITE_ROWS_H_
