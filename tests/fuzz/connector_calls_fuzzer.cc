// The connector fed hostile CloudFrames: bytes -> frame -> the Dispatcher
// and its frame budget, against a directory whose answers come from the
// same input (an entry in ten thousand groups, a DN of any size). The
// frames are handled as TunnelStream does (Settings set the frame limit and
// the credits; Call, Cancel and Credit reach the call). Whatever arrives,
// every call is answered once with its own id, and nothing the connector
// would send weighs more than the cloud's frame limit.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/crypto.h"
#include "connector_svc/call.h"
#include "connector_svc/dispatcher.h"
#include "dirbridge/v1/tunnel.pb.h"
#include "tests/fuzz/fuzz_support.h"

namespace dirbridge::connector {
namespace {

// A directory that answers whatever the input put in it, ignoring the
// answer budget: the frame budget is the last guard and must hold alone.
class ScriptedDirectory : public Directory {
 public:
  void Reset(std::vector<v1::User> users, std::vector<v1::Group> groups) {
    absl::MutexLock lock(&mu_);
    users_ = std::move(users);
    groups_ = std::move(groups);
  }
  std::vector<v1::User> users() const {
    absl::MutexLock lock(&mu_);
    return users_;
  }
  absl::StatusOr<NamingContexts> ListNamingContexts(const OpContext&) override {
    absl::MutexLock lock(&mu_);
    NamingContexts nc;
    for (const v1::Group& g : groups_) nc.naming_contexts.push_back(g.dn());
    return nc;
  }
  absl::StatusOr<std::vector<v1::OrganizationalUnit>> ListOrganizationalUnits(
      const std::string& base_dn, const OpContext&) override {
    v1::OrganizationalUnit ou;
    ou.set_dn(base_dn);
    return std::vector<v1::OrganizationalUnit>{ou};
  }
  absl::StatusOr<std::vector<v1::Group>> ListGroups(const std::string&, const std::string&,
                                                    const OpContext&) override {
    absl::MutexLock lock(&mu_);
    return groups_;
  }
  absl::Status SearchUsers(const std::string&, const std::string&, int page_size,
                           const std::string& changed_since, const OpContext& ctx,
                           const UserSink& sink) override {
    std::vector<v1::User> all = users();
    size_t page = page_size > 0 ? static_cast<size_t>(page_size) : 3;
    for (size_t i = 0; i < all.size(); i += page) {
      if (ctx.Cancelled()) return absl::CancelledError("cancelled");
      std::vector<v1::User> part(all.begin() + i, all.begin() + std::min(all.size(), i + page));
      absl::Status st = sink(std::move(part), PageMarks{changed_since, "ldap://fuzz"});
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  }
  absl::StatusOr<v1::User> GetUser(const std::string& username, const OpContext&) override {
    for (const v1::User& u : users()) {
      if (u.username() == username) return u;
    }
    return absl::NotFoundError("no such user");
  }
  absl::StatusOr<AuthOutcome> Authenticate(const std::string& username,
                                           const std::string& password,
                                           const OpContext&) override {
    FUZZ_CHECK(!password.empty());  // the Dispatcher refuses empty ones
    AuthOutcome out;
    out.result = v1::AUTH_RESULT_INVALID_CREDENTIALS;
    for (const v1::User& u : users()) {
      if (u.username() == username && password == "pw") {
        out.result = v1::AUTH_RESULT_OK;
        out.user = u;
      }
    }
    return out;
  }
  absl::StatusOr<std::vector<std::string>> NestedGroupsOf(
      const std::string& user_dn, const std::vector<std::string>& group_dns,
      const OpContext&) override {
    std::vector<std::string> member_of;
    for (const v1::User& u : users()) {
      if (u.dn() != user_dn) continue;
      for (const std::string& g : group_dns) {
        for (const std::string& held : u.groups()) {
          if (held == g) {
            member_of.push_back(g);
            break;
          }
        }
      }
    }
    return member_of;
  }
  absl::StatusOr<ChangeOutcome> ChangePassword(const std::string& username,
                                               const std::string& old_password,
                                               const std::string& new_password,
                                               const OpContext&) override {
    FUZZ_CHECK(!old_password.empty() && !new_password.empty());  // refused before
    ChangeOutcome out;
    out.result = v1::AUTH_RESULT_INVALID_CREDENTIALS;
    for (const v1::User& u : users()) {
      if (u.username() == username && old_password == "pw") {
        out.result = new_password.size() < 3 ? v1::AUTH_RESULT_PASSWORD_REJECTED
                                              : v1::AUTH_RESULT_OK;
        if (out.result != v1::AUTH_RESULT_OK) out.message = "too short";
      }
    }
    return out;
  }
  absl::StatusOr<int64_t> CountUsers(const OpContext&) override {
    return static_cast<int64_t>(users().size());
  }
  bool Healthy() const override { return true; }

 private:
  mutable absl::Mutex mu_;
  std::vector<v1::User> users_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Group> groups_ ABSL_GUARDED_BY(mu_);
};

// One call as the harness sees it; shared with the handler's callbacks,
// which may outlive the input when the call was cancelled.
struct Outcome {
  absl::Mutex mu;
  int replies = 0;
  int64_t users_streamed = 0;
  v1::CallResult result;
  absl::Notification replied;
};

struct Harness {
  Harness() {
    std::string priv(32, '\x42');
    crypto::X25519KeyPair key{priv, *crypto::X25519PublicFromPrivate(priv)};
    dispatcher = std::make_unique<Dispatcher>(&directory, 2, "tenant-fuzz", key, nullptr, 2);
  }
  ScriptedDirectory directory;
  std::unique_ptr<Dispatcher> dispatcher;
};

Harness& TheHarness() {
  static Harness* h = new Harness();
  return *h;
}

// What a frame to the cloud weighs once the answer is in it.
size_t FrameBytes(const v1::CallResult& r) {
  v1::ConnectorFrame f;
  *f.mutable_result() = r;
  return f.ByteSizeLong();
}
size_t FrameBytes(const v1::ResultChunk& c) {
  v1::ConnectorFrame f;
  *f.mutable_chunk() = c;
  return f.ByteSizeLong();
}

void Run(FuzzedDataProvider& in) {
  Harness& h = TheHarness();
  std::vector<v1::User> users;
  std::vector<v1::Group> groups;
  for (int n = in.ConsumeIntegralInRange(0, 12); n > 0; --n) {
    v1::User u;
    u.set_username(in.ConsumeRandomLengthString(32));
    u.set_dn(in.ConsumeRandomLengthString(256));
    u.set_email(in.ConsumeRandomLengthString(32));
    std::string group = in.ConsumeRandomLengthString(128);
    for (int g = in.ConsumeIntegralInRange(0, 600); g > 0; --g) u.add_groups(group);
    users.push_back(std::move(u));
  }
  for (int n = in.ConsumeIntegralInRange(0, 8); n > 0; --n) {
    v1::Group g;
    g.set_dn(in.ConsumeRandomLengthString(2048));
    groups.push_back(std::move(g));
  }
  h.directory.Reset(users, groups);

  uint32_t max_frame_bytes = 0;  // 0: Call's default, as before any Settings
  uint32_t initial_credits = 0;
  std::map<uint64_t, std::shared_ptr<Call>> calls;  // TunnelStream's calls_
  std::vector<std::pair<std::shared_ptr<Call>, std::shared_ptr<Outcome>>> started;
  std::vector<v1::CallRequest::RequestCase> kinds;

  while (in.remaining_bytes() > 0) {
    v1::CloudFrame frame;
    if (!frame.ParseFromString(in.ConsumeRandomLengthString(8192))) continue;
    switch (frame.frame_case()) {
      case v1::CloudFrame::kSettings:
        initial_credits = frame.settings().initial_stream_credits();
        max_frame_bytes = frame.settings().max_frame_bytes();
        h.dispatcher->set_connector_id(frame.settings().connector_id());
        break;
      case v1::CloudFrame::kCall: {
        v1::CallRequest request = frame.call();
        // Short deadlines keep a stream waiting for credit from stalling
        // the fuzzer; a deadline is a deadline whatever its length.
        absl::Duration timeout = absl::Milliseconds(
            std::min<uint64_t>(request.timeout_ms() == 0 ? 20 : request.timeout_ms(), 20));
        auto call = std::make_shared<Call>(request.call_id(), absl::Now() + timeout,
                                           max_frame_bytes);
        call->AddCredit(initial_credits);
        calls[request.call_id()] = call;
        auto outcome = std::make_shared<Outcome>();
        started.emplace_back(call, outcome);
        kinds.push_back(request.request_case());
        uint64_t id = request.call_id();
        // Below the smallest answer there is (its call id and a code), no
        // answer can fit: the promise holds from there up.
        v1::CallResult smallest;
        smallest.set_call_id(request.call_id());
        smallest.set_code(16);
        const uint32_t limit = std::max<uint32_t>(
            call->max_frame_bytes(), static_cast<uint32_t>(2 * FrameBytes(smallest)));
        const size_t budget = call->answer_budget();
        std::weak_ptr<Call> weak = call;
        h.dispatcher->Dispatch(
            std::move(request), call,
            [outcome, id, limit](v1::CallResult result) {
              FUZZ_CHECK(result.call_id() == id);
              FUZZ_CHECK(FrameBytes(result) <= limit);
              absl::MutexLock lock(&outcome->mu);
              FUZZ_CHECK(++outcome->replies == 1);
              outcome->result = std::move(result);
              outcome->replied.Notify();
            },
            [outcome, id, limit, budget, weak](v1::ResultChunk chunk) {
              FUZZ_CHECK(chunk.call_id() == id);
              FUZZ_CHECK(FrameBytes(chunk) <= limit);
              FUZZ_CHECK(chunk.search_users().ByteSizeLong() <= budget);
              FUZZ_CHECK(chunk.search_users().users_size() > 0);
              {
                absl::MutexLock lock(&outcome->mu);
                FUZZ_CHECK(outcome->replies == 0);  // no chunk after the answer
                outcome->users_streamed += chunk.search_users().users_size();
              }
              // A cloud that keeps up: each chunk taken is a credit back.
              if (auto c = weak.lock()) c->AddCredit(1);
            });
        break;
      }
      case v1::CloudFrame::kCancel: {
        auto it = calls.find(frame.cancel().call_id());
        if (it == calls.end()) break;
        it->second->Cancel();
        calls.erase(it);
        break;
      }
      case v1::CloudFrame::kCredit: {
        auto it = calls.find(frame.credit().call_id());
        if (it != calls.end()) it->second->AddCredit(frame.credit().n());
        break;
      }
      default:
        break;
    }
  }
  // The cloud catches up: what still waits for a credit gets it, so the
  // input ends without waiting for deadlines (a stream refused credit is
  // still tried by frames that never grant one).
  for (auto& [id, call] : calls) call->AddCredit(1 << 20);
  // Every call not cancelled is answered, within its deadline and a margin.
  for (size_t i = 0; i < started.size(); ++i) {
    auto& [call, outcome] = started[i];
    if (call->cancelled()) continue;
    if (!outcome->replied.WaitForNotificationWithTimeout(absl::Seconds(10))) {
      std::fprintf(stderr, "call %llu (kind %d) was never answered\n",
                   static_cast<unsigned long long>(call->id()), static_cast<int>(kinds[i]));
      std::abort();
    }
    absl::MutexLock lock(&outcome->mu);
    // A stream that ended well carried every user of the directory.
    if (kinds[i] == v1::CallRequest::kSearchUsers && outcome->result.code() == 0) {
      FUZZ_CHECK(outcome->users_streamed == static_cast<int64_t>(users.size()));
    }
  }
}

}  // namespace
}  // namespace dirbridge::connector

DIRBRIDGE_FRAME_FUZZER(dirbridge::connector::Run)
