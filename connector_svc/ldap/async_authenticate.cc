// LdapDirectory::AuthenticateAsync: search-then-bind as two steps on the
// event loop. The blocking Authenticate stays the reference: every case the
// loop does not handle at once (no idle connection, a connection the server
// dropped, ranged attributes) goes to it, so failover and retries live in
// one place.
#include "common/crypto.h"
#include "connector_svc/ldap/ldap_directory.h"
#include "connector_svc/ldap/user_filter.h"

namespace dirbridge::connector {

struct LdapDirectory::AsyncAuth {
  std::string username;
  std::string password;
  OpContext ctx;
  ThreadPool* blocking = nullptr;
  AuthDone done;
  std::unique_ptr<LdapConnection> conn;  // the one the current step waits on
  LdapEntry user;
  // The name found nobody (or several): the bind is BindDecoy's.
  bool decoy = false;

  ~AsyncAuth() { crypto::Wipe(password); }

  void Finish(absl::StatusOr<AuthOutcome> outcome) && {
    std::move(done)(std::move(outcome));
  }
};

void LdapDirectory::AuthenticateAsync(std::string username, std::string password,
                                      OpContext ctx, ThreadPool* blocking, AuthDone done) {
  auto op = std::make_unique<AsyncAuth>();
  op->username = std::move(username);
  op->password = std::move(password);
  op->ctx = ctx;
  op->blocking = blocking;
  op->done = std::move(done);
  if (op->password.empty()) {
    // An empty simple bind is an unauthenticated bind: never send one.
    std::move(*op).Finish(absl::InvalidArgumentError("password is empty"));
    return;
  }
  absl::StatusOr<std::string> filter = UserLookupFilter(map_, op->username);
  if (!filter.ok()) {
    std::move(*op).Finish(filter.status());
    return;
  }
  op->conn = service_pool_.TryTakeIdle();
  if (op->conn == nullptr) return OnWorker(std::move(op));
  absl::StatusOr<int> msgid = op->conn->StartSearch(config_.base_dn, LdapScope::kSubtree,
                                                    *filter, map_.UserAttributes());
  Await(std::move(op), msgid, service_pool_, &LdapDirectory::OnUserFound);
}

void LdapDirectory::Await(std::unique_ptr<AsyncAuth> op, const absl::StatusOr<int>& msgid,
                          ConnectionPool& pool, Step next) {
  if (!msgid.ok()) {
    pool.Return(std::move(op->conn));
    return OnWorker(std::move(op));
  }
  LdapConnection* conn = op->conn.get();
  OpContext ctx = op->ctx;
  loop_.Watch(conn, *msgid, ctx,
              [this, next, op = std::move(op)](absl::StatusOr<LdapMessagePtr> result) mutable {
                (this->*next)(std::move(op), std::move(result));
              });
}

void LdapDirectory::OnUserFound(std::unique_ptr<AsyncAuth> op,
                                absl::StatusOr<LdapMessagePtr> result) {
  absl::StatusOr<std::vector<LdapEntry>> found =
      result.ok() ? op->conn->ReadEntries(result->get(), config_.base_dn) : result.status();
  result = absl::CancelledError();  // frees the message before the connection goes back
  bool dropped = !op->conn->usable();
  service_pool_.Return(std::move(op->conn));
  if (!found.ok()) {
    // As ConnectionPool::With: a connection the server dropped is worth one
    // more try, on a fresh one (which may be another server).
    if (dropped && absl::IsUnavailable(found.status())) return OnWorker(std::move(op));
    return std::move(*op).Finish(found.status());
  }
  if (found->size() != 1) {
    // Nobody, or more than one: the same answer as a wrong password, after
    // the same work (a bind, as a DN that does not exist).
    op->decoy = true;
    op->user.dn = decoy_dn_;
  } else {
    if (LdapConnection::HasRanges(found->front())) return OnWorker(std::move(op));
    op->user = std::move(found->front());
  }
  op->conn = bind_pool_.TryTakeIdle();
  if (op->conn == nullptr) return OnWorker(std::move(op));
  absl::StatusOr<int> msgid = op->conn->StartBindAs(
      op->user.dn, op->decoy ? DecoyPassword(op->password.size()) : op->password);
  Await(std::move(op), msgid, bind_pool_, &LdapDirectory::OnBound);
}

void LdapDirectory::OnBound(std::unique_ptr<AsyncAuth> op,
                            absl::StatusOr<LdapMessagePtr> result) {
  absl::StatusOr<LdapConnection::BindReply> reply =
      result.ok() ? op->conn->ReadBind(result->get()) : result.status();
  result = absl::CancelledError();
  bool dropped = !op->conn->usable();
  bind_pool_.Return(std::move(op->conn));
  if (!reply.ok()) {
    if (dropped && absl::IsUnavailable(reply.status())) return OnWorker(std::move(op));
    return std::move(*op).Finish(reply.status());
  }
  std::move(*op).Finish(op->decoy ? DecoyOutcome(*reply) : Outcome(op->user, *reply));
}

void LdapDirectory::OnWorker(std::unique_ptr<AsyncAuth> op) {
  ThreadPool* blocking = op->blocking;
  blocking->Schedule([this, op = std::move(op)]() mutable {
    // The user found already: only the bind is left to do.
    absl::StatusOr<AuthOutcome> outcome =
        op->decoy             ? BindDecoy(op->password, op->ctx)
        : op->user.dn.empty() ? Authenticate(op->username, op->password, op->ctx)
                              : BindUser(op->user, op->password, op->ctx);
    std::move(*op).Finish(std::move(outcome));
  });
}

}  // namespace dirbridge::connector
