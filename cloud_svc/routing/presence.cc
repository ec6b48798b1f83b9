#include "cloud_svc/routing/presence.h"

#include <algorithm>

#include "common/log.h"

namespace dirbridge::cloud {

Presence::Presence(PresenceStore* presence, Store* store, PresenceOptions options, Dial dial)
    : presence_(presence), store_(store), options_(std::move(options)), dial_(std::move(dial)) {}

Presence::~Presence() { Stop(); }

absl::Status Presence::Start(std::string peer_addr) {
  peer_addr_ = std::move(peer_addr);
  absl::Time now = absl::Now();
  absl::Status st = presence_->Heartbeat(options_.replica_id, peer_addr_, now);
  if (!st.ok()) return st;
  {
    absl::MutexLock lock(&mu_);
    last_beat_ = now;
  }
  {
    absl::MutexLock lock(&watch_->mu);
    watch_->presence = this;
  }
  presence_->WatchSessions([watch = watch_](const std::string& tenant_id) {
    absl::MutexLock lock(&watch->mu);
    if (watch->presence != nullptr) watch->presence->Forget(tenant_id);
  });
  loop_ = std::thread([this] { Loop(); });
  spdlog::info("event=replica_started replica={} peer_addr={}", options_.replica_id,
               peer_addr_);
  return absl::OkStatus();
}

void Presence::Forget(const std::string& tenant_id) {
  absl::MutexLock lock(&mu_);
  if (tenant_id.empty()) {
    tenants_.clear();
  } else {
    tenants_.erase(tenant_id);
  }
}

void Presence::Stop() {
  {
    absl::MutexLock lock(&watch_->mu);
    watch_->presence = nullptr;
  }
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return;
    stop_ = true;
  }
  if (loop_.joinable()) loop_.join();
  absl::Status st = presence_->RemoveReplica(options_.replica_id);
  if (!st.ok()) {
    spdlog::warn("event=store_error op=remove_replica error=\"{}\" note=\"the others will "
                 "reap this replica once it has missed its heartbeats\"",
                 st.message());
  }
}

void Presence::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stop), options_.heartbeat)) return;
    }
    absl::Time now = absl::Now();
    Beat(now);
    Reap(now);
    Mourn(now);
  }
}

void Presence::Beat(absl::Time now) {
  absl::Status st = presence_->Heartbeat(options_.replica_id, peer_addr_, now);
  std::vector<std::pair<std::string, std::string>> republish;
  {
    absl::MutexLock lock(&mu_);
    if (!st.ok()) {
      if (!beat_failed_) {
        spdlog::error("event=replica_heartbeat_failed error=\"{}\"", st.message());
      }
      beat_failed_ = true;
      return;
    }
    // After a failed beat, or a stall long enough to be reaped, the store
    // may have forgotten what we hold: tell it again.
    if (beat_failed_ || now - last_beat_ >= dead_after()) {
      republish.assign(held_.begin(), held_.end());
      spdlog::info("event=replica_heartbeat_recovered sessions={}", republish.size());
    }
    beat_failed_ = false;
    last_beat_ = now;
  }
  for (const auto& [tenant, connector] : republish) Held(tenant, connector);
  absl::StatusOr<std::vector<ReplicaRecord>> live = presence_->LiveReplicas(now - dead_after());
  if (!live.ok()) return;
  absl::MutexLock lock(&mu_);
  for (const ReplicaRecord& r : *live) {
    if (r.replica_id == options_.replica_id) continue;
    auto& peer = peers_[r.replica_id];
    if (peer.first != r.peer_addr) {
      peer = {r.peer_addr, nullptr};  // dialled when first used
    }
  }
  absl::erase_if(unreachable_until_, [now](const auto& kv) { return kv.second <= now; });
}

void Presence::Reap(absl::Time now) {
  absl::StatusOr<std::vector<ReplicaRecord>> dead = presence_->DeadReplicas(now - dead_after());
  if (!dead.ok()) return;
  for (const ReplicaRecord& r : *dead) {
    if (r.replica_id == options_.replica_id) continue;  // we are alive, whatever the row says
    absl::StatusOr<std::vector<HeldSession>> orphans =
        presence_->ReapReplica(r.replica_id, now - dead_after());
    if (!orphans.ok()) continue;
    spdlog::warn("event=replica_reaped replica={} sessions={}", r.replica_id, orphans->size());
    absl::MutexLock lock(&mu_);
    peers_.erase(r.replica_id);
    for (const HeldSession& s : *orphans) {
      // Its connectors are most likely on their way to us or another
      // replica: mourned only if none has them one dead-window from now.
      mourning_.push_back({now + dead_after(), s.tenant_id, s.connector_id,
                           "the cloud_svc replica that held it stopped answering"});
    }
  }
}

void Presence::Mourn(absl::Time now) {
  std::vector<Mourning> due;
  {
    absl::MutexLock lock(&mu_);
    auto split = std::partition(mourning_.begin(), mourning_.end(),
                                [now](const Mourning& m) { return m.due > now; });
    due.assign(std::make_move_iterator(split), std::make_move_iterator(mourning_.end()));
    mourning_.erase(split, mourning_.end());
  }
  for (Mourning& m : due) {
    absl::StatusOr<std::vector<HeldSession>> held =
        presence_->TenantSessions(m.tenant_id, now - dead_after());
    if (!held.ok()) {
      absl::MutexLock lock(&mu_);
      m.due = now + options_.heartbeat;  // the store is away: ask again later
      mourning_.push_back(std::move(m));
      continue;
    }
    bool somewhere = std::any_of(held->begin(), held->end(), [&m](const HeldSession& s) {
      return s.connector_id == m.connector_id;
    });
    if (!somewhere) RaiseNotConnected(store_, m.tenant_id, m.connector_id, m.why);
  }
}

void Presence::Held(const std::string& tenant_id, const std::string& connector_id) {
  {
    absl::MutexLock lock(&mu_);
    held_.insert({tenant_id, connector_id});
  }
  HeldSession s{options_.replica_id, tenant_id, connector_id, absl::Now()};
  absl::Status st = presence_->PutSession(s);
  if (absl::IsFailedPrecondition(st)) {
    // Reaped while we stalled: publish ourselves, then the session.
    st = presence_->Heartbeat(options_.replica_id, peer_addr_, absl::Now());
    if (st.ok()) st = presence_->PutSession(s);
  }
  if (!st.ok()) {
    spdlog::warn("event=store_error op=put_session connector={} error=\"{}\" note=\"published "
                 "again after the next good heartbeat\"",
                 connector_id, st.message());
    absl::MutexLock lock(&mu_);
    beat_failed_ = true;
  }
}

void Presence::Released(const std::string& tenant_id, const std::string& connector_id,
                        const std::string& why) {
  {
    absl::MutexLock lock(&mu_);
    held_.erase({tenant_id, connector_id});
    mourning_.push_back({absl::Now() + dead_after(), tenant_id, connector_id, why});
  }
  absl::Status st = presence_->DropSession(options_.replica_id, connector_id);
  if (!st.ok()) {
    spdlog::warn("event=store_error op=drop_session connector={} error=\"{}\"", connector_id,
                 st.message());
  }
}

std::shared_ptr<v1::ReplicaPeer::Stub> Presence::StubFor(const std::string& replica_id) {
  absl::MutexLock lock(&mu_);
  auto it = peers_.find(replica_id);
  if (it == peers_.end()) return nullptr;
  if (!it->second.second) it->second.second = dial_(it->second.first);
  return it->second.second;
}

absl::StatusOr<Presence::TenantView> Presence::Fetch(const std::string& tenant_id) {
  absl::Time now = absl::Now();
  absl::StatusOr<std::vector<HeldSession>> held =
      presence_->TenantSessions(tenant_id, now - dead_after());
  if (!held.ok()) return held.status();
  TenantView view;
  view.fetched = now;
  // Reuse the targets we had, so that their in-flight counts carry over.
  absl::flat_hash_map<std::pair<std::string, std::string>, std::shared_ptr<RemoteSession>> old;
  {
    absl::MutexLock lock(&mu_);
    auto it = tenants_.find(tenant_id);
    if (it != tenants_.end()) {
      for (auto& t : it->second.targets) old[{t->replica_id(), t->target_connector_id()}] = t;
    }
  }
  for (const HeldSession& s : *held) {
    if (s.replica_id == options_.replica_id) continue;  // ours are in the registry
    auto it = old.find({s.replica_id, s.connector_id});
    if (it != old.end()) {
      view.targets.push_back(it->second);
      continue;
    }
    std::shared_ptr<v1::ReplicaPeer::Stub> stub = StubFor(s.replica_id);
    if (!stub) {
      // A replica we have not heard of yet (it just started): learn it.
      absl::StatusOr<std::vector<ReplicaRecord>> live =
          presence_->LiveReplicas(now - dead_after());
      if (live.ok()) {
        absl::MutexLock lock(&mu_);
        for (const ReplicaRecord& r : *live) {
          if (r.replica_id != options_.replica_id && !peers_.contains(r.replica_id)) {
            peers_[r.replica_id] = {r.peer_addr, nullptr};
          }
        }
      }
      stub = StubFor(s.replica_id);
      if (!stub) continue;
    }
    view.targets.push_back(std::make_shared<RemoteSession>(
        s.tenant_id, s.connector_id, s.replica_id, options_.replica_id, std::move(stub)));
  }
  return view;
}

std::vector<std::shared_ptr<CallTarget>> Presence::For(const std::string& tenant_id) {
  absl::Time now = absl::Now();
  std::vector<std::shared_ptr<RemoteSession>> targets;
  bool fresh = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = tenants_.find(tenant_id);
    if (it != tenants_.end() && now - it->second.fetched < options_.cache_ttl) {
      targets = it->second.targets;
      fresh = true;
    }
  }
  if (!fresh) {
    absl::StatusOr<TenantView> view = Fetch(tenant_id);
    if (!view.ok()) return {};  // the store is away: this replica's own sessions still serve
    targets = view->targets;
    absl::MutexLock lock(&mu_);
    tenants_[tenant_id] = *std::move(view);
  }
  std::vector<std::shared_ptr<CallTarget>> out;
  out.reserve(targets.size());
  absl::MutexLock lock(&mu_);
  for (auto& t : targets) {
    auto u = unreachable_until_.find(t->replica_id());
    if (u != unreachable_until_.end() && u->second > now) continue;
    out.push_back(t);
  }
  return out;
}

void Presence::Unreachable(const std::string& replica_id) {
  if (replica_id.empty()) return;
  absl::MutexLock lock(&mu_);
  unreachable_until_[replica_id] = absl::Now() + options_.heartbeat;
  spdlog::warn("event=replica_unreachable replica={}", replica_id);
}

bool Presence::Holds(const std::string& tenant_id, const std::string& connector_id) {
  for (const auto& t : For(tenant_id)) {
    if (t->target_connector_id() == connector_id) return true;
  }
  return false;
}

}  // namespace dirbridge::cloud
