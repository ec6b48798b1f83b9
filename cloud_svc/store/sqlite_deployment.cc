#include "absl/strings/str_cat.h"
#include "cloud_svc/store/sqlite_store.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {

absl::Status SqliteStore::CreateDeploymentToken(absl::string_view token_hash,
                                                const DeploymentToken& t) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO deployment_tokens (token_hash, tenant_id, mapping_id, expires_at) "
      "VALUES (?, ?, ?, ?)"));
  s->Bind(1, token_hash).Bind(2, t.tenant_id).Bind(3, t.mapping_id).Bind(4, SqlTime(t.expires_at));
  return s->Run();
}

absl::StatusOr<DeploymentToken> SqliteStore::GetDeploymentToken(absl::string_view token_hash) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT tenant_id, mapping_id, expires_at FROM deployment_tokens WHERE token_hash = ?"));
  s->Bind(1, token_hash);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return absl::NotFoundError("unknown deployment token");
  return DeploymentToken{s->Text(0), s->Text(1), FromSqlTime(s->Int(2))};
}

absl::StatusOr<Activation> SqliteStore::Activate(const MappingRecord& mapping,
                                                 const UserRecord& user,
                                                 absl::string_view device_name, absl::Time now) {
  if (user.tenant_id != mapping.tenant_id) {
    return absl::InvalidArgumentError(absl::StrCat(
        "store: user \"", user.directory_id, "\" is not of mapping \"", mapping.mapping_id,
        "\"'s tenant"));
  }
  absl::MutexLock lock(&mu_);
  return InTransaction<Activation>([&]() -> absl::StatusOr<Activation> {
    Activation out;
    ASSIGN_OR_RETURN(std::optional<UserRecord> existing,
                     UserByDirectoryId(user.tenant_id, user.directory_id));
    if (existing) {
      out.user_id = existing->user_id;
    } else {
      UserRecord fresh = user;
      fresh.user_id = NewId();
      fresh.mapping_id = mapping.mapping_id;
      fresh.state = UserState::kActive;
      fresh.imported_at = now;
      RETURN_IF_ERROR(InsertUser(fresh, ""));
      out.user_id = fresh.user_id;
      out.user_created = true;
    }
    out.device_id = NewId();
    ASSIGN_OR_RETURN(auto d, db_->Prepare(
        "INSERT INTO devices (device_id, tenant_id, user_id, device_name, created_at) "
        "VALUES (?, ?, ?, ?, ?)"));
    d->Bind(1, out.device_id).Bind(2, user.tenant_id).Bind(3, out.user_id).Bind(4, device_name)
        .Bind(5, SqlTime(now));
    RETURN_IF_ERROR(d->Run());
    ASSIGN_OR_RETURN(auto n, db_->Prepare(
        "INSERT INTO device_counts (tenant_id, devices) VALUES (?, 1) "
        "ON CONFLICT (tenant_id) DO UPDATE SET devices = devices + 1"));
    n->Bind(1, user.tenant_id);
    RETURN_IF_ERROR(n->Run());
    return out;
  });
}

}  // namespace dirbridge::cloud
