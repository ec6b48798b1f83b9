// MemoryStore: which replica holds which connector's stream.

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/memory_store.h"

namespace dirbridge::cloud {

absl::Status MemoryStore::Heartbeat(absl::string_view replica_id, absl::string_view peer_addr,
                                    absl::Time now) {
  FaultInjector::Call call = faults_.Enter("Heartbeat");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  replicas_[std::string(replica_id)] =
      ReplicaRecord{std::string(replica_id), std::string(peer_addr), now};
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ReplicaRecord>> MemoryStore::LiveReplicas(absl::Time alive_after) {
  FaultInjector::Call call = faults_.Enter("LiveReplicas");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  std::vector<ReplicaRecord> out;
  for (const auto& [id, r] : replicas_) {
    if (r.last_seen > alive_after) out.push_back(r);
  }
  return out;
}

absl::Status MemoryStore::RemoveReplica(absl::string_view replica_id) {
  FaultInjector::Call call = faults_.Enter("RemoveReplica");
  if (!call.ok()) return call.status();
  {
    absl::MutexLock lock(&mu_);
    replicas_.erase(std::string(replica_id));
    std::erase_if(sessions_, [&](const auto& s) { return s.first.first == replica_id; });
  }
  notifier_.Notify("");
  return absl::OkStatus();
}

absl::Status MemoryStore::PutSession(const HeldSession& session) {
  FaultInjector::Call call = faults_.Enter("PutSession");
  if (!call.ok()) return call.status();
  {
    absl::MutexLock lock(&mu_);
    if (replicas_.find(session.replica_id) == replicas_.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "memory store: replica \"", session.replica_id, "\" has no row: heartbeat first"));
    }
    sessions_[{session.replica_id, session.connector_id}] = session;
  }
  notifier_.Notify(session.tenant_id);
  return absl::OkStatus();
}

absl::Status MemoryStore::DropSession(absl::string_view replica_id,
                                      absl::string_view connector_id) {
  FaultInjector::Call call = faults_.Enter("DropSession");
  if (!call.ok()) return call.status();
  std::string tenant_id;
  {
    absl::MutexLock lock(&mu_);
    auto it = sessions_.find({std::string(replica_id), std::string(connector_id)});
    if (it == sessions_.end()) return absl::OkStatus();
    tenant_id = it->second.tenant_id;
    sessions_.erase(it);
  }
  notifier_.Notify(tenant_id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<HeldSession>> MemoryStore::TenantSessions(absl::string_view tenant_id,
                                                                     absl::Time alive_after) {
  FaultInjector::Call call = faults_.Enter("TenantSessions");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  std::vector<HeldSession> out;
  for (const auto& [key, s] : sessions_) {
    auto r = replicas_.find(s.replica_id);
    if (s.tenant_id == tenant_id && r != replicas_.end() && r->second.last_seen > alive_after) {
      out.push_back(s);
    }
  }
  std::sort(out.begin(), out.end(), [](const HeldSession& a, const HeldSession& b) {
    return std::tie(a.connector_id, a.replica_id) < std::tie(b.connector_id, b.replica_id);
  });
  return out;
}

absl::StatusOr<std::vector<ReplicaRecord>> MemoryStore::DeadReplicas(absl::Time alive_after) {
  FaultInjector::Call call = faults_.Enter("DeadReplicas");
  if (!call.ok()) return call.status();
  absl::MutexLock lock(&mu_);
  std::vector<ReplicaRecord> out;
  for (const auto& [id, r] : replicas_) {
    if (r.last_seen <= alive_after) out.push_back(r);
  }
  return out;
}

absl::StatusOr<std::vector<HeldSession>> MemoryStore::ReapReplica(absl::string_view replica_id,
                                                                  absl::Time alive_after) {
  FaultInjector::Call call = faults_.Enter("ReapReplica");
  if (!call.ok()) return call.status();
  std::vector<HeldSession> out;
  {
    absl::MutexLock lock(&mu_);
    auto r = replicas_.find(replica_id);
    if (r == replicas_.end() || r->second.last_seen > alive_after) return out;
    replicas_.erase(r);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->first.first != replica_id) {
        ++it;
        continue;
      }
      out.push_back(std::move(it->second));
      it = sessions_.erase(it);
    }
  }
  notifier_.Notify("");
  return out;
}

void MemoryStore::WatchSessions(std::function<void(const std::string& tenant_id)> on_change) {
  notifier_.Watch(std::move(on_change));
}

}  // namespace dirbridge::cloud
