#ifndef DIRBRIDGE_CLOUD_SVC_STORE_USER_COLUMNS_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_USER_COLUMNS_H_

// The users table's record columns, in the order each SQL store's ReadUser
// reads them by index. SqliteStore and PostgresStore share one schema for
// these, so one list keeps a column added to one store from shifting the
// other's reads. last_seen_run is bookkeeping of imports, not part of a
// UserRecord, so it is not here.

namespace dirbridge::cloud {

inline constexpr char kUserColumns[] =
    "tenant_id, user_id, mapping_id, directory_id, dn, username, user_principal_name, email, "
    "display_name, groups, disabled, state, imported_at";

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_USER_COLUMNS_H_
