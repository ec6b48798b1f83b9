#include "cloud_svc/routing/presence.h"

#include <algorithm>

#include "common/log.h"

namespace dirbridge::cloud {

Presence::Presence(Store* store, PresenceOptions options, Dial dial)
    : store_(store), options_(std::move(options)), dial_(std::move(dial)) {}

Presence::~Presence() { Stop(); }

absl::Status Presence::Start(std::string peer_addr) {
  peer_addr_ = std::move(peer_addr);
  absl::Time now = absl::Now();
  absl::Status st = store_->Heartbeat(options_.replica_id, peer_addr_, now);
  if (!st.ok()) return st;
  {
    absl::MutexLock lock(&mu_);
    last_beat_ = now;
  }
  {
    absl::MutexLock lock(&watch_->mu);
    watch_->presence = this;
  }
  store_->WatchSessions([watch = watch_](const std::string& tenant_id) {
    absl::MutexLock lock(&watch->mu);
    if (watch->presence != nullptr) watch->presence->Forget(tenant_id);
  });
  beat_loop_ = std::thread([this] { BeatLoop(); });
  work_loop_ = std::thread([this] { WorkLoop(); });
  spdlog::info("event=replica_started replica={} peer_addr={}", options_.replica_id,
               peer_addr_);
  return absl::OkStatus();
}

void Presence::Forget(const std::string& tenant_id) {
  // The views stay, marked: their targets keep their in-flight counts.
  absl::MutexLock lock(&mu_);
  auto mark = [](TenantView& v) {
    v.valid = false;
    ++v.notices;
  };
  if (tenant_id.empty()) {
    for (auto& [id, view] : tenants_) mark(view);
  } else if (auto it = tenants_.find(tenant_id); it != tenants_.end()) {
    mark(it->second);
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
  if (beat_loop_.joinable()) beat_loop_.join();
  if (work_loop_.joinable()) work_loop_.join();
  refresh_.Stop();
  // The router is drained: no call is on a link now.
  std::vector<std::weak_ptr<PeerLink>> links;
  {
    absl::MutexLock lock(&mu_);
    links.swap(links_);
  }
  for (const std::weak_ptr<PeerLink>& w : links) {
    if (std::shared_ptr<PeerLink> link = w.lock()) link->Close(absl::Seconds(2));
  }
  absl::Status st = store_->RemoveReplica(options_.replica_id);
  if (!st.ok()) {
    spdlog::warn("event=store_error op=remove_replica error=\"{}\" note=\"the others will "
                 "reap this replica once it has missed its heartbeats\"",
                 st.message());
  }
}

bool Presence::Tick() {
  absl::MutexLock lock(&mu_);
  auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
  return !mu_.AwaitWithTimeout(absl::Condition(&stop), options_.heartbeat);
}

void Presence::BeatLoop() {
  while (Tick()) Beat(absl::Now());
}

void Presence::WorkLoop() {
  while (Tick()) {
    Republish();
    absl::Time now = absl::Now();
    Reap(now);
    Mourn(now);
  }
}

void Presence::Republish() {
  std::vector<ConnectorKey> held;
  {
    absl::MutexLock lock(&mu_);
    if (!republish_) return;
    republish_ = false;
    held.assign(held_.begin(), held_.end());
  }
  spdlog::info("event=replica_sessions_republished sessions={}", held.size());
  for (const auto& [tenant, connector] : held) Held(tenant, connector);
}

void Presence::Beat(absl::Time now) {
  absl::Status st = store_->Heartbeat(options_.replica_id, peer_addr_, now);
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
    // may have forgotten what we hold: the work loop tells it again.
    if (beat_failed_ || now - last_beat_ >= dead_after()) {
      republish_ = true;
      spdlog::info("event=replica_heartbeat_recovered sessions={}", held_.size());
    }
    beat_failed_ = false;
    last_beat_ = now;
  }
  absl::StatusOr<std::vector<ReplicaRecord>> live = store_->LiveReplicas(now - dead_after());
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
  absl::StatusOr<std::vector<ReplicaRecord>> dead = store_->DeadReplicas(now - dead_after());
  if (!dead.ok()) return;
  for (const ReplicaRecord& r : *dead) {
    if (r.replica_id == options_.replica_id) continue;  // we are alive, whatever the row says
    absl::StatusOr<std::vector<HeldSession>> orphans =
        store_->ReapReplica(r.replica_id, now - dead_after());
    if (!orphans.ok()) continue;
    spdlog::warn("event=replica_reaped replica={} sessions={}", r.replica_id, orphans->size());
    absl::MutexLock lock(&mu_);
    peers_.erase(r.replica_id);
    for (const HeldSession& s : *orphans) {
      // Its connectors are most likely on their way to us or another
      // replica: mourned only if none has them one dead-window from now.
      mourning_.insert_or_assign(
          ConnectorKey{s.tenant_id, s.connector_id},
          Mourning{now + dead_after(), "the cloud_svc replica that held it stopped answering"});
    }
  }
}

void Presence::Mourn(absl::Time now) {
  // tenant -> (connector, why): one store query per tenant, however many
  // of its connectors are due.
  absl::flat_hash_map<std::string, std::vector<std::pair<std::string, std::string>>> due;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = mourning_.begin(); it != mourning_.end();) {
      if (it->second.due > now) {
        ++it;
        continue;
      }
      due[it->first.first].emplace_back(it->first.second, std::move(it->second.why));
      mourning_.erase(it++);
    }
  }
  for (auto& [tenant_id, connectors] : due) {
    absl::StatusOr<std::vector<HeldSession>> held =
        store_->TenantSessions(tenant_id, now - dead_after());
    if (!held.ok()) {
      // The store is away: ask again later, unless a newer drop is due.
      absl::MutexLock lock(&mu_);
      for (auto& [connector_id, why] : connectors) {
        mourning_.try_emplace(ConnectorKey{tenant_id, connector_id},
                              Mourning{now + options_.heartbeat, std::move(why)});
      }
      continue;
    }
    absl::flat_hash_set<std::string> somewhere;
    for (const HeldSession& s : *held) somewhere.insert(s.connector_id);
    for (const auto& [connector_id, why] : connectors) {
      if (!somewhere.contains(connector_id)) {
        RaiseNotConnected(store_, tenant_id, connector_id, why);
      }
    }
  }
}

void Presence::Held(const std::string& tenant_id, const std::string& connector_id) {
  {
    absl::MutexLock lock(&mu_);
    held_.insert({tenant_id, connector_id});
  }
  HeldSession s{options_.replica_id, tenant_id, connector_id, absl::Now()};
  absl::Status st = store_->PutSession(s);
  if (absl::IsFailedPrecondition(st)) {
    // Reaped while we stalled: publish ourselves, then the session.
    st = store_->Heartbeat(options_.replica_id, peer_addr_, absl::Now());
    if (st.ok()) st = store_->PutSession(s);
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
    mourning_.insert_or_assign(ConnectorKey{tenant_id, connector_id},
                               Mourning{absl::Now() + dead_after(), why});
  }
  absl::Status st = store_->DropSession(options_.replica_id, connector_id);
  if (!st.ok()) {
    spdlog::warn("event=store_error op=drop_session connector={} error=\"{}\"", connector_id,
                 st.message());
  }
}

std::shared_ptr<PeerLink> Presence::LinkFor(const std::string& replica_id) {
  absl::MutexLock lock(&mu_);
  auto it = peers_.find(replica_id);
  if (it == peers_.end()) return nullptr;
  if (!it->second.second) {
    it->second.second = std::make_shared<PeerLink>(dial_(it->second.first));
    std::erase_if(links_, [](const std::weak_ptr<PeerLink>& w) { return w.expired(); });
    links_.push_back(it->second.second);
  }
  return it->second.second;
}

absl::StatusOr<std::vector<std::shared_ptr<RemoteSession>>> Presence::Fetch(
    const std::string& tenant_id) {
  absl::Time now = absl::Now();
  absl::StatusOr<std::vector<HeldSession>> held =
      store_->TenantSessions(tenant_id, now - dead_after());
  if (!held.ok()) return held.status();
  // Reuse the targets we had, so that their in-flight counts carry over.
  absl::flat_hash_map<std::pair<std::string, std::string>, std::shared_ptr<RemoteSession>> old;
  {
    absl::MutexLock lock(&mu_);
    auto it = tenants_.find(tenant_id);
    if (it != tenants_.end()) {
      for (auto& t : it->second.targets) old[{t->replica_id(), t->target_connector_id()}] = t;
    }
  }
  std::vector<std::shared_ptr<RemoteSession>> targets;
  bool learned = false;
  for (const HeldSession& s : *held) {
    if (s.replica_id == options_.replica_id) continue;  // ours are in the registry
    auto it = old.find({s.replica_id, s.connector_id});
    if (it != old.end()) {
      targets.push_back(it->second);
      continue;
    }
    std::shared_ptr<PeerLink> link = LinkFor(s.replica_id);
    if (!link && !learned) {
      // A replica we have not heard of yet (it just started): learn the
      // live ones, once per fetch.
      learned = true;
      absl::StatusOr<std::vector<ReplicaRecord>> live =
          store_->LiveReplicas(now - dead_after());
      if (live.ok()) {
        absl::MutexLock lock(&mu_);
        for (const ReplicaRecord& r : *live) {
          if (r.replica_id != options_.replica_id && !peers_.contains(r.replica_id)) {
            peers_[r.replica_id] = {r.peer_addr, nullptr};
          }
        }
      }
      link = LinkFor(s.replica_id);
    }
    if (!link) continue;
    targets.push_back(std::make_shared<RemoteSession>(
        s.tenant_id, s.connector_id, s.replica_id, options_.replica_id, std::move(link),
        options_.max_calls_per_connector));
  }
  return targets;
}

void Presence::Refresh(const std::string& tenant_id) {
  uint64_t notices;
  {
    absl::MutexLock lock(&mu_);
    notices = tenants_[tenant_id].notices;
  }
  absl::Time started = absl::Now();
  absl::StatusOr<std::vector<std::shared_ptr<RemoteSession>>> targets = Fetch(tenant_id);
  absl::MutexLock lock(&mu_);
  TenantView& view = tenants_[tenant_id];
  view.fetching = false;
  if (!targets.ok()) return;  // kept as it was: the store is away
  view.targets = *std::move(targets);
  // A notice that came while we asked may not be in the answer.
  view.valid = view.notices == notices;
  view.fetched = started;
}

std::vector<std::shared_ptr<CallTarget>> Presence::Reachable(
    const std::vector<std::shared_ptr<RemoteSession>>& targets, absl::Time now) {
  std::vector<std::shared_ptr<CallTarget>> out;
  out.reserve(targets.size());
  for (const auto& t : targets) {
    auto u = unreachable_until_.find(t->replica_id());
    if (u != unreachable_until_.end() && u->second > now) continue;
    out.push_back(t);
  }
  return out;
}

std::vector<std::shared_ptr<CallTarget>> Presence::For(const std::string& tenant_id) {
  absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    TenantView& view = tenants_[tenant_id];
    if (view.valid) {
      if (now - view.fetched >= options_.cache_ttl && !view.fetching) {
        view.fetching = true;
        if (!refresh_.TrySchedule([this, tenant_id] { Refresh(tenant_id); })) {
          view.fetching = false;
        }
      }
      return Reachable(view.targets, now);
    }
    // Not valid (a first call, or a notice): the answer must come from
    // the store. One caller asks; the others wait for its answer.
    if (view.fetching) {
      auto answered = [this, &tenant_id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !tenants_[tenant_id].fetching || stop_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&answered), absl::Seconds(10));
      // Whatever came (a notice meanwhile, or the store away leaves the
      // targets we had): the call's own retries do the rest.
      return Reachable(tenants_[tenant_id].targets, now);
    }
    view.fetching = true;
  }
  Refresh(tenant_id);
  absl::MutexLock lock(&mu_);
  return Reachable(tenants_[tenant_id].targets, now);
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
