#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_FAKE_DIRECTORY_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_FAKE_DIRECTORY_H_

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "connector_svc/ldap/directory.h"

namespace dirbridge::connector {

// In-memory Directory for tests, with injectable failures and a way to make
// an operation hang until its context ends (as a frozen server would).
class FakeDirectory : public Directory {
 public:
  void SetNamingContexts(NamingContexts nc) {
    absl::MutexLock lock(&mu_);
    naming_contexts_ = std::move(nc);
  }
  // Every operation fails with `status` (OK clears it).
  void FailWith(absl::Status status) {
    absl::MutexLock lock(&mu_);
    failure_ = std::move(status);
  }
  // Operations block until cancelled or past their deadline.
  void Hang(bool hang) {
    absl::MutexLock lock(&mu_);
    hang_ = hang;
  }

  absl::StatusOr<NamingContexts> ListNamingContexts(const OpContext& ctx) override {
    absl::MutexLock lock(&mu_);
    if (hang_) {
      while (!ctx.Cancelled() && absl::Now() < ctx.deadline) {
        mu_.AwaitWithTimeout(absl::Condition(+[](bool* h) { return !*h; }, &hang_),
                             absl::Milliseconds(10));
        if (!hang_) break;
      }
      if (ctx.Cancelled()) return absl::CancelledError("fake: cancelled");
      if (hang_) return absl::DeadlineExceededError("fake: deadline");
    }
    if (!failure_.ok()) return failure_;
    return naming_contexts_;
  }

  void AddUser(v1::User user) {
    absl::MutexLock lock(&mu_);
    users_.push_back(std::move(user));
  }

  absl::StatusOr<std::vector<v1::OrganizationalUnit>> ListOrganizationalUnits(
      const std::string&, const OpContext&) override {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    return std::vector<v1::OrganizationalUnit>{};
  }

  void AddGroup(v1::Group group) {
    absl::MutexLock lock(&mu_);
    groups_.push_back(std::move(group));
  }

  // Every group added, whatever the base and prefix.
  absl::StatusOr<std::vector<v1::Group>> ListGroups(const std::string&, const std::string&,
                                                    const OpContext&) override {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    return groups_;
  }

  // Pages of the users added, in order; sink runs without the lock held.
  absl::Status SearchUsers(const std::string&, const std::string&, int page_size,
                           const std::string&, const OpContext&,
                           const UserSink& sink) override {
    std::vector<v1::User> all;
    {
      absl::MutexLock lock(&mu_);
      if (!failure_.ok()) return failure_;
      all = users_;
    }
    for (size_t i = 0; i < all.size(); i += page_size) {
      std::vector<v1::User> page(all.begin() + i,
                                 all.begin() + std::min(all.size(), i + page_size));
      absl::Status st = sink(std::move(page), PageMarks{"", "fake"});
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<v1::User> GetUser(const std::string& username, const OpContext&) override {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    for (const v1::User& u : users_) {
      if (u.username() == username) return u;
    }
    return absl::NotFoundError("fake: no such user");
  }

  // Direct memberships only: every group of `group_dns` the user's
  // User.groups lists.
  absl::StatusOr<std::vector<std::string>> NestedGroupsOf(
      const std::string& user_dn, const std::vector<std::string>& group_dns,
      const OpContext&) override {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    std::vector<std::string> in;
    for (const v1::User& u : users_) {
      if (u.dn() != user_dn) continue;
      for (const std::string& g : group_dns) {
        if (std::find(u.groups().begin(), u.groups().end(), g) != u.groups().end()) {
          in.push_back(g);
        }
      }
    }
    return in;
  }

  void SetPassword(const std::string& username, const std::string& password) {
    absl::MutexLock lock(&mu_);
    passwords_[username] = password;
  }
  // Every password Authenticate was asked to check, in order.
  std::vector<std::string> checked_passwords() const {
    absl::MutexLock lock(&mu_);
    return checked_;
  }

  absl::StatusOr<AuthOutcome> Authenticate(const std::string& username,
                                           const std::string& password,
                                           const OpContext&) override {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    checked_.push_back(password);
    AuthOutcome out;
    out.result = v1::AUTH_RESULT_INVALID_CREDENTIALS;
    auto it = passwords_.find(username);
    if (it == passwords_.end() || it->second != password) return out;
    out.result = v1::AUTH_RESULT_OK;
    out.user.set_username(username);
    return out;
  }

  // Checks the old password as Authenticate does; a new one shorter than
  // kMinPasswordLength is PASSWORD_REJECTED, as a policy would.
  static constexpr size_t kMinPasswordLength = 8;
  absl::StatusOr<ChangeOutcome> ChangePassword(const std::string& username,
                                               const std::string& old_password,
                                               const std::string& new_password,
                                               const OpContext&) override {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    checked_.push_back(old_password);
    auto it = passwords_.find(username);
    if (it == passwords_.end() || it->second != old_password) {
      return ChangeOutcome{v1::AUTH_RESULT_INVALID_CREDENTIALS, ""};
    }
    if (new_password.size() < kMinPasswordLength) {
      return ChangeOutcome{v1::AUTH_RESULT_PASSWORD_REJECTED,
                           "fake: shorter than the minimum length"};
    }
    it->second = new_password;
    return ChangeOutcome{v1::AUTH_RESULT_OK, ""};
  }

  absl::StatusOr<int64_t> CountUsers(const OpContext&) override {
    absl::MutexLock lock(&mu_);
    return static_cast<int64_t>(users_.size());
  }

  bool Healthy() const override {
    absl::MutexLock lock(&mu_);
    return failure_.ok();
  }

 private:
  mutable absl::Mutex mu_;
  NamingContexts naming_contexts_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  bool hang_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<v1::User> users_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Group> groups_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> passwords_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> checked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_FAKE_DIRECTORY_H_
