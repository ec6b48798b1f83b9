#include "cloud_svc/store/memory_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dirbridge::cloud {
namespace {

// Every Store method: FaultInjector aborts on any other name.
std::vector<std::string> StoreOps() {
  return {"CreateTenant", "TenantByTokenHash", "CreateConnector", "GetConnector",
          "ListConnectors", "DeleteConnector", "SetRegistrationKey", "RedeemRegistrationKey",
          "ConnectorByCredentialHash", "RecordConnection", "TouchConnector", "CreateMapping",
          "GetMapping", "ListMappings", "DueMappings", "SetMappingRun", "SetNextRun",
          "UpdateMapping", "DeleteMapping",
          "UpsertUsers", "CountUnseen", "CountActive", "ApplyRun", "ListUsers", "CurrentEkey",
          "PutEkey", "CurrentEkeys", "CreateDeploymentToken", "GetDeploymentToken", "Activate",
          "RaiseAlert", "ClearAlerts", "ListAlerts", "ListAlertsPage", "AppendAudit", "ListAudit",
          "CountConnectors", "CountMappings", "CountLiveDeploymentTokens", "CountDevices",
          "ClaimRun", "Heartbeat", "LiveReplicas", "RemoveReplica", "PutSession", "DropSession",
          "TenantSessions", "DeadReplicas", "ReapReplica"};
}

absl::Status ConnectorNotFound(absl::string_view connector_id) {
  return absl::NotFoundError(absl::StrCat("connector \"", connector_id, "\" not found"));
}

}  // namespace

MemoryStore::MemoryStore() : faults_(StoreOps()) {}
MemoryStore::~MemoryStore() = default;

absl::Status MemoryStore::NeedTenant(absl::string_view tenant_id) const {
  if (tenants_.find(tenant_id) != tenants_.end()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("memory store: no tenant \"", tenant_id, "\""));
}

absl::StatusOr<MemoryStore::Connector*> MemoryStore::LiveConnector(
    absl::string_view tenant_id, absl::string_view connector_id) {
  auto it = connectors_.find(connector_id);
  if (it == connectors_.end() || it->second.deleted || it->second.record.tenant_id != tenant_id) {
    return ConnectorNotFound(connector_id);
  }
  return &it->second;
}

absl::Status MemoryStore::CreateTenant(const TenantRecord& tenant, absl::string_view token_hash) {
  FaultInjector::Call call = faults_.Enter("CreateTenant");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  bool hash_taken = std::any_of(tenants_.begin(), tenants_.end(),
                                [&](const auto& t) { return t.second.token_hash == token_hash; });
  if (hash_taken || tenants_.count(tenant.tenant_id) > 0) {
    return absl::AlreadyExistsError("memory store: tenant id or token hash taken");
  }
  tenants_[tenant.tenant_id] = Tenant{tenant, std::string(token_hash)};
  return absl::OkStatus();
}

absl::StatusOr<TenantRecord> MemoryStore::TenantByTokenHash(absl::string_view token_hash) {
  FaultInjector::Call call = faults_.Enter("TenantByTokenHash");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  for (const auto& [id, t] : tenants_) {
    if (t.token_hash == token_hash) return t.record;
  }
  return absl::NotFoundError("store: no tenant for that token");
}

absl::Status MemoryStore::CreateConnector(const ConnectorRecord& c) {
  FaultInjector::Call call = faults_.Enter("CreateConnector");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  if (connectors_.count(c.connector_id) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("memory store: connector id \"", c.connector_id, "\" taken"));
  }
  if (absl::Status st = NeedTenant(c.tenant_id); !st.ok()) return st;
  Connector& stored = connectors_[c.connector_id];
  stored.record.tenant_id = c.tenant_id;
  stored.record.connector_id = c.connector_id;
  stored.record.name = c.name;
  stored.record.created_at = c.created_at;
  return absl::OkStatus();
}

absl::StatusOr<ConnectorRecord> MemoryStore::GetConnector(absl::string_view tenant_id,
                                                          absl::string_view connector_id) {
  FaultInjector::Call call = faults_.Enter("GetConnector");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Connector*> c = LiveConnector(tenant_id, connector_id);
  if (!c.ok()) return c.status();
  return (*c)->record;
}

absl::StatusOr<std::vector<ConnectorRecord>> MemoryStore::ListConnectors(
    absl::string_view tenant_id) {
  FaultInjector::Call call = faults_.Enter("ListConnectors");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  std::vector<ConnectorRecord> out;
  for (const auto& [id, c] : connectors_) {
    if (!c.deleted && c.record.tenant_id == tenant_id) out.push_back(c.record);
  }
  std::stable_sort(out.begin(), out.end(), [](const ConnectorRecord& a, const ConnectorRecord& b) {
    return a.created_at < b.created_at;  // map order already breaks ties by id
  });
  return out;
}

absl::Status MemoryStore::DeleteConnector(absl::string_view tenant_id,
                                          absl::string_view connector_id) {
  FaultInjector::Call call = faults_.Enter("DeleteConnector");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Connector*> c = LiveConnector(tenant_id, connector_id);
  if (!c.ok()) return c.status();
  (*c)->deleted = true;
  (*c)->credential_hash.reset();
  registration_keys_.erase(std::string(connector_id));
  return absl::OkStatus();
}

absl::Status MemoryStore::SetRegistrationKey(absl::string_view tenant_id,
                                             absl::string_view connector_id,
                                             absl::string_view key_hash, absl::Time expires_at) {
  FaultInjector::Call call = faults_.Enter("SetRegistrationKey");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  if (absl::Status st = LiveConnector(tenant_id, connector_id).status(); !st.ok()) return st;
  // As SQLite's INSERT OR REPLACE: the hash is unique, so an equal one of
  // another connector goes.
  for (auto it = registration_keys_.begin(); it != registration_keys_.end();) {
    it = it->second.key_hash == key_hash ? registration_keys_.erase(it) : std::next(it);
  }
  registration_keys_[std::string(connector_id)] = RegistrationKey{std::string(key_hash), expires_at};
  return absl::OkStatus();
}

absl::StatusOr<ConnectorRecord> MemoryStore::RedeemRegistrationKey(
    absl::string_view key_hash, absl::Time now, absl::string_view credential_hash) {
  FaultInjector::Call call = faults_.Enter("RedeemRegistrationKey");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  const absl::Status refused = absl::PermissionDeniedError(
      "registration key is not valid: it may be mistyped, used, expired or "
      "replaced by a newer one; ask the console for a new key");
  auto key = std::find_if(registration_keys_.begin(), registration_keys_.end(),
                          [&](const auto& k) { return k.second.key_hash == key_hash; });
  if (key == registration_keys_.end()) return refused;
  const std::string connector_id = key->first;
  auto c = connectors_.find(connector_id);
  if (key->second.expires_at <= now || c == connectors_.end() || c->second.deleted) {
    registration_keys_.erase(key);  // a refused key is used up too
    return refused;
  }
  for (const auto& [id, other] : connectors_) {
    if (id != connector_id && other.credential_hash == credential_hash) {
      return absl::AlreadyExistsError("memory store: credential hash taken");
    }
  }
  registration_keys_.erase(key);
  c->second.credential_hash = std::string(credential_hash);
  return c->second.record;
}

absl::StatusOr<ConnectorRecord> MemoryStore::ConnectorByCredentialHash(
    absl::string_view credential_hash) {
  FaultInjector::Call call = faults_.Enter("ConnectorByCredentialHash");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  for (const auto& [id, c] : connectors_) {
    if (!c.deleted && c.credential_hash == credential_hash) return c.record;
  }
  return absl::NotFoundError("connector not found");
}

absl::Status MemoryStore::RecordConnection(const ConnectorRecord& c) {
  FaultInjector::Call call = faults_.Enter("RecordConnection");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Connector*> stored = LiveConnector(c.tenant_id, c.connector_id);
  if (!stored.ok()) return stored.status();
  ConnectorRecord& r = (*stored)->record;
  r.last_seen = c.last_seen.value_or(absl::Now());
  r.version = c.version;
  r.hostname = c.hostname;
  r.ldap_ok = c.ldap_ok;
  r.password_public_key = c.password_public_key;
  r.protocol_revision = c.protocol_revision;
  return absl::OkStatus();
}

absl::Status MemoryStore::TouchConnector(absl::string_view tenant_id,
                                         absl::string_view connector_id, absl::Time last_seen,
                                         bool ldap_ok) {
  FaultInjector::Call call = faults_.Enter("TouchConnector");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Connector*> stored = LiveConnector(tenant_id, connector_id);
  if (!stored.ok()) return stored.status();
  (*stored)->record.last_seen = last_seen;
  (*stored)->record.ldap_ok = ldap_ok;
  return absl::OkStatus();
}

absl::Status MemoryStore::RaiseAlert(const AlertRecord& a) {
  FaultInjector::Call call = faults_.Enter("RaiseAlert");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  for (const AlertRecord& s : alerts_) {
    if (s.tenant_id == a.tenant_id && s.kind == a.kind && s.connector_id == a.connector_id &&
        s.mapping_id == a.mapping_id && !s.cleared_at) {
      return absl::OkStatus();  // one stands already
    }
  }
  for (const AlertRecord& s : alerts_) {
    if (s.alert_id == a.alert_id) return absl::AlreadyExistsError("memory store: alert id taken");
  }
  if (absl::Status st = NeedTenant(a.tenant_id); !st.ok()) return st;
  AlertRecord stored = a;
  stored.cleared_at.reset();
  alerts_.push_back(std::move(stored));
  return absl::OkStatus();
}

absl::Status MemoryStore::ClearAlerts(absl::string_view tenant_id, AlertKind kind,
                                      absl::string_view connector_id,
                                      absl::string_view mapping_id, absl::Time cleared_at) {
  FaultInjector::Call call = faults_.Enter("ClearAlerts");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  for (AlertRecord& a : alerts_) {
    if (a.tenant_id == tenant_id && a.kind == kind && a.connector_id == connector_id &&
        a.mapping_id == mapping_id && !a.cleared_at) {
      a.cleared_at = cleared_at;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AlertRecord>> MemoryStore::ListAlerts(absl::string_view tenant_id,
                                                                 bool active_only) {
  FaultInjector::Call call = faults_.Enter("ListAlerts");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  std::vector<AlertRecord> out;
  for (auto it = alerts_.rbegin(); it != alerts_.rend(); ++it) {  // the later raised first
    if (it->tenant_id == tenant_id && (!active_only || !it->cleared_at)) out.push_back(*it);
  }
  std::stable_sort(out.begin(), out.end(), [](const AlertRecord& a, const AlertRecord& b) {
    return a.raised_at > b.raised_at;
  });
  return out;
}

absl::StatusOr<std::vector<AlertRecord>> MemoryStore::ListAlertsPage(absl::string_view tenant_id,
                                                                     bool active_only,
                                                                     const AlertRecord* after,
                                                                     int limit) {
  FaultInjector::Call call = faults_.Enter("ListAlertsPage");
  if (!call.ok()) return call.status();
  if (limit < 1) return absl::InvalidArgumentError("ListAlertsPage: limit must be at least 1");
  absl::MutexLock lock(&mu_);
  auto newer = [](const AlertRecord& a, const AlertRecord& b) {
    return a.raised_at != b.raised_at ? a.raised_at > b.raised_at : a.alert_id > b.alert_id;
  };
  std::vector<AlertRecord> out;
  for (const AlertRecord& a : alerts_) {
    if (a.tenant_id != tenant_id || (active_only && a.cleared_at)) continue;
    if (after && !newer(*after, a)) continue;
    out.push_back(a);
  }
  std::sort(out.begin(), out.end(), newer);
  if (out.size() > static_cast<size_t>(limit)) out.resize(limit);
  return out;
}

absl::Status MemoryStore::AppendAudit(const AuditRecord& record) {
  FaultInjector::Call call = faults_.Enter("AppendAudit");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  if (absl::Status st = NeedTenant(record.tenant_id); !st.ok()) return st;
  audit_.push_back(record);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AuditRecord>> MemoryStore::ListAudit(absl::string_view tenant_id,
                                                                int limit) {
  FaultInjector::Call call = faults_.Enter("ListAudit");
  if (!call.ok()) return call.status();
  if (limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat("store: ListAudit limit ", limit, " is < 1"));
  }
  absl::MutexLock lock(&mu_);
  std::vector<AuditRecord> out;
  for (auto it = audit_.rbegin(); it != audit_.rend(); ++it) {  // the later appended first
    if (it->tenant_id == tenant_id) out.push_back(*it);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const AuditRecord& a, const AuditRecord& b) { return a.at > b.at; });
  if (out.size() > static_cast<size_t>(limit)) out.resize(limit);
  return out;
}

}  // namespace dirbridge::cloud
