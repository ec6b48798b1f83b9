#include "cloud_svc/routing/session_registry.h"

#include <algorithm>
#include <memory>

#include "absl/synchronization/notification.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/log_escape.h"
#include "common/metrics.h"
#include "common/secrets.h"

namespace dirbridge::cloud {

SessionRegistry::SessionRegistry(Store* store, ConnectorAuthenticator* authenticator,
                                 ThreadPool* pool, const SessionLimits& limits)
    : store_(store), authenticator_(authenticator), pool_(pool), limits_(limits) {
  heartbeats_ = std::thread([this] { HeartbeatLoop(); });
}

SessionRegistry::~SessionRegistry() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  heartbeats_.join();
}

void SessionRegistry::Adopt(std::shared_ptr<Session> session, ConnectorIdentity identity,
                            std::string presented) {
  {
    absl::MutexLock lock(&mu_);
    pending_.insert(session);
  }
  if (!session->Begin(std::move(identity), std::move(presented))) {
    // It ended while the store said who it was: nothing will tell us again.
    absl::MutexLock lock(&mu_);
    pending_.erase(session);
  }
}

void SessionRegistry::Revoke(const std::string& tenant_id, const std::string& connector_id,
                             const absl::Status& why) {
  std::vector<std::shared_ptr<Session>> doomed;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_connector_.find(connector_id);
    if (it != by_connector_.end()) doomed.push_back(it->second);
    for (const auto& s : pending_) {
      if (s->identity().connector_id == connector_id) doomed.push_back(s);
    }
  }
  for (auto& s : doomed) {
    if (s->identity().tenant_id == tenant_id) s->Close(why);
  }
}

void SessionRegistry::OnHello(std::shared_ptr<Session> session) {
  bool queued = pool_->TrySchedule([this, session] {
    absl::StatusOr<ConnectorIdentity> now = authenticator_->Identify(session->presented());
    if (!now.ok()) {
      session->Close(absl::IsUnauthenticated(now.status())
                         ? absl::UnauthenticatedError(
                               "tunnel: the connector's credential is no longer valid (the "
                               "connector was deleted or registered again)")
                         : now.status());
      return;
    }
    if (now->connector_id != session->identity().connector_id ||
        now->tenant_id != session->identity().tenant_id) {
      session->Close(absl::UnauthenticatedError("tunnel: the credential names another connector"));
      return;
    }
    session->Accept();
  });
  if (!queued) {
    session->Close(absl::ResourceExhaustedError(
        "tunnel: cloud_svc is overloaded (its store queue is full); reconnect with backoff"));
  }
}

bool SessionRegistry::WaitForPresence(absl::Time deadline) {
  auto done = std::make_shared<absl::Notification>();
  presence_.Schedule([done] { done->Notify(); });
  return done->WaitForNotificationWithDeadline(deadline);
}

std::vector<std::shared_ptr<Session>> SessionRegistry::Live(
    const std::string& tenant_id) const {
  absl::MutexLock lock(&mu_);
  auto it = by_tenant_.find(tenant_id);
  if (it == by_tenant_.end()) return {};
  return it->second;
}

std::shared_ptr<Session> SessionRegistry::Find(
    const std::string& connector_id) const {
  absl::MutexLock lock(&mu_);
  auto it = by_connector_.find(connector_id);
  return it == by_connector_.end() ? nullptr : it->second;
}

std::vector<std::pair<std::string, int>> SessionRegistry::CountByTenant() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<std::string, int>> out;
  for (const auto& [tenant, sessions] : by_tenant_) {
    out.emplace_back(tenant, static_cast<int>(sessions.size()));
  }
  return out;
}

void SessionRegistry::CloseAll(const absl::Status& why) {
  std::vector<std::shared_ptr<Session>> all;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    for (auto& [id, s] : by_connector_) all.push_back(s);
    for (const auto& s : pending_) all.push_back(s);
  }
  for (auto& s : all) s->Close(why);
}

void SessionRegistry::RetireAll(const absl::Status& why) {
  std::vector<std::shared_ptr<Session>> ready;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, s] : by_connector_) ready.push_back(s);
  }
  for (auto& s : ready) s->Retire(why);
}

bool SessionRegistry::WaitUntilEmpty(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return by_connector_.empty() && pending_.empty();
  };
  return mu_.AwaitWithDeadline(absl::Condition(&empty), deadline);
}

void SessionRegistry::OnSessionReady(std::shared_ptr<Session> session) {
  const ConnectorIdentity& id = session->identity();
  std::shared_ptr<Session> replaced;
  {
    absl::MutexLock lock(&mu_);
    pending_.erase(session);
    auto it = by_connector_.find(id.connector_id);
    if (it != by_connector_.end()) replaced = it->second;
    by_connector_[id.connector_id] = session;
    auto& tenant = by_tenant_[id.tenant_id];
    std::erase(tenant, replaced);
    tenant.push_back(session);
  }
  // A connector that reconnects before its old stream was noticed as dead.
  if (replaced) {
    replaced->Close(absl::AbortedError("replaced by a newer stream"));
  }
  const v1::Hello& hello = session->hello();
  Metrics::Get().Add("dirbridge_connector_sessions_total", {});
  spdlog::info("event=connector_connected tenant={} connector={} version={} hostname={} revision={}",
               id.tenant_id, id.connector_id, LogSafe(hello.version()), LogSafe(hello.hostname()),
               session->revision());
  presence_.Schedule([this, session = std::move(session)] { RecordReady(session); });
}

void SessionRegistry::RecordReady(std::shared_ptr<Session> session) {
  const ConnectorIdentity& id = session->identity();
  const v1::Hello& hello = session->hello();
  ConnectorRecord rec;
  rec.tenant_id = id.tenant_id;
  rec.connector_id = id.connector_id;
  rec.last_seen = absl::Now();
  rec.version = hello.version();
  rec.hostname = hello.hostname();
  rec.ldap_ok = hello.ldap_ok();
  rec.password_public_key = hello.password_public_key();
  rec.protocol_revision = session->revision();
  absl::Status st = store_->RecordConnection(rec);
  if (absl::IsNotFound(st)) {
    // Deleted between its Hello check and now: a session the store does not
    // know must not serve.
    session->Close(absl::PermissionDeniedError("the connector was deleted"));
    return;
  }
  if (st.ok()) {
    st = store_->ClearAlerts(id.tenant_id, AlertKind::kConnectorNotConnected,
                             id.connector_id, "", absl::Now());
  }
  if (!st.ok()) {
    spdlog::warn("event=store_error op=record_connection connector={} error=\"{}\"",
                 id.connector_id, st.message());
  }
  if (replicas_ != nullptr) replicas_->Held(id.tenant_id, id.connector_id);
}

void SessionRegistry::OnSessionClosed(Session* session, const absl::Status& why) {
  const ConnectorIdentity& id = session->identity();
  std::shared_ptr<Session> live;
  bool shutting_down;
  {
    absl::MutexLock lock(&mu_);
    shutting_down = shutting_down_;
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->get() == session) {
        pending_.erase(it);
        break;
      }
    }
    auto it = by_connector_.find(id.connector_id);
    if (it != by_connector_.end() && it->second.get() == session) live = it->second;
  }
  if (!live) return;
  spdlog::info("event=connector_disconnected tenant={} connector={} reason=\"{}\"",
               id.tenant_id, id.connector_id, why.message());
  presence_.Schedule([this, live = std::move(live), why, shutting_down] {
    RecordClosed(live, why, shutting_down);
  });
}

void SessionRegistry::RecordClosed(std::shared_ptr<Session> session, const absl::Status& why,
                                   bool shutting_down) {
  const ConnectorIdentity& id = session->identity();
  {
    absl::MutexLock lock(&mu_);
    auto it = by_connector_.find(id.connector_id);
    // Replaced by a newer stream meanwhile: that one is the truth.
    if (it == by_connector_.end() || it->second != session) return;
  }
  // The alert is in the store before the connector shows Not Connected, so
  // whoever sees the status also finds the alert. (The session refuses new
  // calls already: it is closing.)
  absl::Status st = store_->TouchConnector(id.tenant_id, id.connector_id,
                                           session->last_frame(), session->ldap_ok());
  if (!st.ok()) {
    spdlog::warn("event=store_error op=touch_connector connector={} error=\"{}\"",
                 id.connector_id, st.message());
  }
  if (replicas_ != nullptr) {
    // Another replica may hold it already, or soon: the presence layer
    // mourns it only once none does (and drops our row now).
    replicas_->Released(id.tenant_id, id.connector_id, std::string(why.message()));
  } else if (!shutting_down) {
    RaiseNotConnected(store_, id.tenant_id, id.connector_id, why.message());
  }
  Forget(session.get());
}

void SessionRegistry::Forget(Session* session) {
  const ConnectorIdentity& id = session->identity();
  absl::MutexLock lock(&mu_);
  auto it = by_connector_.find(id.connector_id);
  if (it == by_connector_.end() || it->second.get() != session) return;
  by_connector_.erase(it);
  auto t = by_tenant_.find(id.tenant_id);
  if (t != by_tenant_.end()) {
    std::erase_if(t->second, [session](const std::shared_ptr<Session>& s) {
      return s.get() == session;
    });
    if (t->second.empty()) by_tenant_.erase(t);
  }
}

void SessionRegistry::HeartbeatLoop() {
  while (true) {
    std::vector<std::shared_ptr<Session>> all;
    {
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stop), limits_.heartbeat_interval)) {
        return;
      }
      all.reserve(by_connector_.size() + pending_.size());
      for (auto& [id, s] : by_connector_) all.push_back(s);
      for (const auto& s : pending_) all.push_back(s);
    }
    absl::Time now = absl::Now();
    for (auto& s : all) s->Heartbeat(now);
  }
}

}  // namespace dirbridge::cloud
