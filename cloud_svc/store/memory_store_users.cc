// MemoryStore: mappings, users, ekeys and deployment.

#include <algorithm>
#include <climits>
#include <set>

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/memory_store.h"
#include "common/secrets.h"

namespace dirbridge::cloud {
namespace {

absl::Status MappingNotFound(absl::string_view mapping_id) {
  return absl::NotFoundError(absl::StrCat("mapping \"", mapping_id, "\" not found"));
}

absl::Status NotOfMappingTenant(const UserRecord& u, const MappingRecord& m) {
  return absl::InvalidArgumentError(absl::StrCat(
      "store: user \"", u.directory_id, "\" is not of mapping \"", m.mapping_id, "\"'s tenant"));
}

bool SameDirectoryFields(const UserRecord& a, const UserRecord& b) {
  return a.dn == b.dn && a.username == b.username &&
         a.user_principal_name == b.user_principal_name && a.email == b.email &&
         a.display_name == b.display_name && a.groups == b.groups && a.disabled == b.disabled;
}

// As a DN list survives SQLite's one-per-line column: empty entries drop.
std::vector<std::string> Lines(std::vector<std::string> v) {
  v.erase(std::remove(v.begin(), v.end(), ""), v.end());
  return v;
}

}  // namespace

MappingRecord* MemoryStore::FindMapping(absl::string_view tenant_id,
                                        absl::string_view mapping_id) {
  auto it = mappings_.find(mapping_id);
  if (it == mappings_.end() || it->second.tenant_id != tenant_id) return nullptr;
  return &it->second;
}

MemoryStore::User* MemoryStore::UserByDirectoryId(absl::string_view tenant_id,
                                                  absl::string_view directory_id) {
  for (auto& [id, u] : users_) {
    if (u.record.tenant_id == tenant_id && u.record.directory_id == directory_id) return &u;
  }
  return nullptr;
}

MemoryStore::Ekey* MemoryStore::CurrentEkeyLocked(absl::string_view tenant_id,
                                                  absl::string_view user_id) {
  for (Ekey& e : ekeys_) {
    if (e.current && e.record.tenant_id == tenant_id && e.record.user_id == user_id) return &e;
  }
  return nullptr;
}

absl::StatusOr<MappingRecord> MemoryStore::CreateMapping(MappingRecord m) {
  FaultInjector::Call call = faults_.Enter("CreateMapping");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  if (mappings_.count(m.mapping_id) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("memory store: mapping id \"", m.mapping_id, "\" taken"));
  }
  if (absl::Status st = NeedTenant(m.tenant_id); !st.ok()) return st;
  int priority = 0;
  for (const auto& [id, other] : mappings_) {
    if (other.tenant_id == m.tenant_id) priority = std::max(priority, other.priority + 1);
  }
  m.priority = priority;
  m.ou_dns = Lines(std::move(m.ou_dns));
  m.group_dns = Lines(std::move(m.group_dns));
  m.sync_interval = absl::Seconds(absl::ToInt64Seconds(m.sync_interval));
  mappings_[m.mapping_id] = m;
  return m;
}

absl::StatusOr<MappingRecord> MemoryStore::GetMapping(absl::string_view tenant_id,
                                                      absl::string_view mapping_id) {
  FaultInjector::Call call = faults_.Enter("GetMapping");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  const MappingRecord* m = FindMapping(tenant_id, mapping_id);
  if (m == nullptr) return MappingNotFound(mapping_id);
  return *m;
}

absl::StatusOr<std::vector<MappingRecord>> MemoryStore::ListMappings(absl::string_view tenant_id) {
  FaultInjector::Call call = faults_.Enter("ListMappings");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  std::vector<MappingRecord> out;
  for (const auto& [id, m] : mappings_) {
    if (m.tenant_id == tenant_id) out.push_back(m);
  }
  std::sort(out.begin(), out.end(),
            [](const MappingRecord& a, const MappingRecord& b) { return a.priority < b.priority; });
  return out;
}

absl::StatusOr<std::vector<MappingRecord>> MemoryStore::DueMappings(absl::Time now) {
  FaultInjector::Call call = faults_.Enter("DueMappings");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  std::vector<MappingRecord> out;
  for (const auto& [id, m] : mappings_) {
    if (m.next_run_at <= now) out.push_back(m);
  }
  // Map order is id order: a stable sort keeps it for ties.
  std::stable_sort(out.begin(), out.end(), [](const MappingRecord& a, const MappingRecord& b) {
    return a.next_run_at < b.next_run_at;
  });
  return out;
}

absl::Status MemoryStore::SetMappingRun(const MappingRecord& m) {
  FaultInjector::Call call = faults_.Enter("SetMappingRun");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  MappingRecord* stored = FindMapping(m.tenant_id, m.mapping_id);
  if (stored == nullptr) return MappingNotFound(m.mapping_id);
  stored->last_run_id = m.last_run_id;
  stored->held_run_id = m.held_run_id;
  stored->held_count = m.held_count;
  stored->watermark = m.watermark;
  stored->watermark_server = m.watermark_server;
  stored->last_full_at = m.last_full_at;
  return absl::OkStatus();
}

absl::Status MemoryStore::SetNextRun(absl::string_view tenant_id, absl::string_view mapping_id,
                                     absl::Time next_run_at) {
  FaultInjector::Call call = faults_.Enter("SetNextRun");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  MappingRecord* stored = FindMapping(tenant_id, mapping_id);
  if (stored == nullptr) return MappingNotFound(mapping_id);
  stored->next_run_at = next_run_at;
  return absl::OkStatus();
}

absl::StatusOr<bool> MemoryStore::ClaimRun(absl::string_view tenant_id,
                                           absl::string_view mapping_id, absl::Time due_at,
                                           absl::Time next_run_at) {
  FaultInjector::Call call = faults_.Enter("ClaimRun");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  MappingRecord* stored = FindMapping(tenant_id, mapping_id);
  if (stored == nullptr) return MappingNotFound(mapping_id);
  // At the stores' precision, as SQLite and PostgreSQL compare it.
  if (absl::ToUnixMicros(stored->next_run_at) != absl::ToUnixMicros(due_at)) return false;
  stored->next_run_at = next_run_at;
  return true;
}

absl::StatusOr<UpsertCounts> MemoryStore::UpsertUsers(const MappingRecord& mapping,
                                                      absl::string_view run_id,
                                                      const std::vector<UserRecord>& users) {
  FaultInjector::Call call = faults_.Enter("UpsertUsers");
  if (!call.ok()) return call.status();
  for (const UserRecord& u : users) {
    if (u.tenant_id != mapping.tenant_id) return NotOfMappingTenant(u, mapping);
  }
  absl::MutexLock lock(&mu_);
  if (!users.empty()) {
    if (absl::Status st = NeedTenant(mapping.tenant_id); !st.ok()) return st;
  }
  UpsertCounts counts;
  for (const UserRecord& u : users) {
    User* old = UserByDirectoryId(u.tenant_id, u.directory_id);
    if (old == nullptr) {
      User fresh{u, std::string(run_id)};
      fresh.record.user_id = NewId();
      fresh.record.mapping_id = mapping.mapping_id;
      fresh.record.state = UserState::kActive;
      fresh.record.groups = Lines(fresh.record.groups);
      users_[fresh.record.user_id] = std::move(fresh);
      ++counts.added;
      continue;
    }
    std::string owner = old->record.mapping_id;
    if (owner != mapping.mapping_id) {
      const MappingRecord* m = FindMapping(u.tenant_id, owner);
      int priority = m == nullptr ? INT_MAX : m->priority;
      if (priority < mapping.priority) {  // an older mapping keeps its user
        ++counts.unchanged;
        continue;
      }
      owner = mapping.mapping_id;
    }
    UserRecord given = u;
    given.groups = Lines(given.groups);
    bool same = SameDirectoryFields(old->record, given) && old->record.mapping_id == owner;
    UserRecord& r = old->record;
    r.mapping_id = owner;
    r.dn = given.dn;
    r.username = given.username;
    r.user_principal_name = given.user_principal_name;
    r.email = given.email;
    r.display_name = given.display_name;
    r.groups = given.groups;
    r.disabled = given.disabled;
    if (!same) r.imported_at = given.imported_at;
    old->last_seen_run = std::string(run_id);
    ++(same ? counts.unchanged : counts.updated);
  }
  return counts;
}

absl::StatusOr<uint64_t> MemoryStore::CountUnseen(const MappingRecord& m,
                                                  absl::string_view run_id) {
  FaultInjector::Call call = faults_.Enter("CountUnseen");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  uint64_t n = 0;
  for (const auto& [id, u] : users_) {
    n += u.record.tenant_id == m.tenant_id && u.record.mapping_id == m.mapping_id &&
         u.record.state == UserState::kActive && u.last_seen_run != run_id;
  }
  return n;
}

absl::StatusOr<uint64_t> MemoryStore::CountActive(const MappingRecord& m) {
  FaultInjector::Call call = faults_.Enter("CountActive");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  uint64_t n = 0;
  for (const auto& [id, u] : users_) {
    n += u.record.tenant_id == m.tenant_id && u.record.mapping_id == m.mapping_id &&
         u.record.state == UserState::kActive;
  }
  return n;
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> MemoryStore::ApplyRun(const MappingRecord& m,
                                                                    absl::string_view run_id,
                                                                    absl::Time now) {
  FaultInjector::Call call = faults_.Enter("ApplyRun");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  std::pair<uint64_t, uint64_t> out{0, 0};
  for (auto& [id, u] : users_) {
    if (u.record.tenant_id != m.tenant_id || u.record.mapping_id != m.mapping_id) continue;
    bool seen = u.last_seen_run == run_id;
    if (u.record.state == UserState::kActive && !seen) {
      u.record.state = UserState::kNotInDirectory;
      u.record.imported_at = now;
      ++out.first;
    } else if (u.record.state == UserState::kNotInDirectory && seen) {
      u.record.state = UserState::kActive;
      u.record.imported_at = now;
      ++out.second;
    }
  }
  return out;
}

absl::StatusOr<std::vector<UserRecord>> MemoryStore::ListUsers(absl::string_view tenant_id,
                                                               absl::string_view mapping_id,
                                                               absl::string_view after_user_id,
                                                               int limit) {
  FaultInjector::Call call = faults_.Enter("ListUsers");
  if (!call.ok()) return call.status();
  if (limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat("store: ListUsers limit ", limit, " is < 1"));
  }
  absl::MutexLock lock(&mu_);
  std::vector<UserRecord> out;
  for (auto it = users_.upper_bound(after_user_id);
       it != users_.end() && out.size() < static_cast<size_t>(limit); ++it) {
    const UserRecord& u = it->second.record;
    if (u.tenant_id == tenant_id && u.mapping_id == mapping_id) out.push_back(u);
  }
  return out;
}

absl::StatusOr<EkeyRecord> MemoryStore::CurrentEkey(absl::string_view tenant_id,
                                                    absl::string_view user_id) {
  FaultInjector::Call call = faults_.Enter("CurrentEkey");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  const Ekey* e = CurrentEkeyLocked(tenant_id, user_id);
  if (e == nullptr) return absl::NotFoundError(absl::StrCat("user \"", user_id, "\" has no ekey"));
  return e->record;
}

absl::StatusOr<EkeyRecord> MemoryStore::PutEkey(const EkeyRecord& ekey, bool replace) {
  FaultInjector::Call call = faults_.Enter("PutEkey");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  Ekey* existing = CurrentEkeyLocked(ekey.tenant_id, ekey.user_id);
  if (existing != nullptr && !replace) return existing->record;
  for (const Ekey& e : ekeys_) {
    if (e.record.key_id == ekey.key_id) return absl::AlreadyExistsError("memory store: key id taken");
  }
  if (absl::Status st = NeedTenant(ekey.tenant_id); !st.ok()) return st;
  if (existing != nullptr) existing->current = false;
  ekeys_.push_back(Ekey{ekey, true});
  return ekey;
}

absl::StatusOr<std::vector<EkeyRecord>> MemoryStore::CurrentEkeys(
    absl::string_view tenant_id, const std::vector<std::string>& user_ids) {
  FaultInjector::Call call = faults_.Enter("CurrentEkeys");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  std::vector<EkeyRecord> out;
  for (const std::string& user_id : std::set<std::string>(user_ids.begin(), user_ids.end())) {
    if (const Ekey* e = CurrentEkeyLocked(tenant_id, user_id)) out.push_back(e->record);
  }
  return out;
}

absl::Status MemoryStore::CreateDeploymentToken(absl::string_view token_hash,
                                                const DeploymentToken& token) {
  FaultInjector::Call call = faults_.Enter("CreateDeploymentToken");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  if (deployment_tokens_.count(token_hash) > 0) {
    return absl::AlreadyExistsError("memory store: deployment token hash taken");
  }
  if (absl::Status st = NeedTenant(token.tenant_id); !st.ok()) return st;
  deployment_tokens_[std::string(token_hash)] = token;
  return absl::OkStatus();
}

absl::StatusOr<DeploymentToken> MemoryStore::GetDeploymentToken(absl::string_view token_hash) {
  FaultInjector::Call call = faults_.Enter("GetDeploymentToken");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  auto it = deployment_tokens_.find(token_hash);
  if (it == deployment_tokens_.end()) return absl::NotFoundError("unknown deployment token");
  return it->second;
}

absl::StatusOr<Activation> MemoryStore::Activate(const MappingRecord& mapping,
                                                 const UserRecord& user,
                                                 absl::string_view device_name, absl::Time now) {
  FaultInjector::Call call = faults_.Enter("Activate");
  if (!call.ok()) return call.status();
  if (user.tenant_id != mapping.tenant_id) return NotOfMappingTenant(user, mapping);
  absl::MutexLock lock(&mu_);
  Activation out;
  if (const User* existing = UserByDirectoryId(user.tenant_id, user.directory_id)) {
    out.user_id = existing->record.user_id;
  } else {
    if (absl::Status st = NeedTenant(user.tenant_id); !st.ok()) return st;
    User fresh{user, ""};
    fresh.record.user_id = NewId();
    fresh.record.mapping_id = mapping.mapping_id;
    fresh.record.state = UserState::kActive;
    fresh.record.imported_at = now;
    fresh.record.groups = Lines(fresh.record.groups);
    out.user_id = fresh.record.user_id;
    out.user_created = true;
    users_[out.user_id] = std::move(fresh);
  }
  out.device_id = NewId();
  devices_.push_back(Device{out.device_id, user.tenant_id, out.user_id, std::string(device_name), now});
  return out;
}

}  // namespace dirbridge::cloud
