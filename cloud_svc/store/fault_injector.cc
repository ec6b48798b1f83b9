#include "cloud_svc/store/fault_injector.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace dirbridge::cloud {

FaultInjector::Call::~Call() { owner_->Leave(); }

FaultInjector::FaultInjector(std::vector<std::string> ops) : ops_(ops.begin(), ops.end()) {}

FaultInjector::~FaultInjector() {
  absl::MutexLock lock(&mu_);
  destroyed_ = true;
  hanging_ = false;
  released_epoch_ = hang_epoch_;
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
}

void FaultInjector::CheckKnown(absl::string_view op) const {
  if (ops_.find(op) != ops_.end()) return;
  std::fprintf(stderr, "FaultInjector: unknown operation \"%.*s\"\n", static_cast<int>(op.size()),
               op.data());
  std::abort();
}

FaultInjector::Call FaultInjector::Enter(absl::string_view op) {
  CheckKnown(op);
  absl::MutexLock lock(&mu_);
  ++in_flight_;
  ++calls_[std::string(op)];
  if (hanging_) {
    const uint64_t epoch = hang_epoch_;
    ++hung_;
    auto released = [this, epoch]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return released_epoch_ >= epoch;
    };
    mu_.Await(absl::Condition(&released));
    --hung_;
  }
  if (destroyed_) {
    return Call(this, absl::UnavailableError("memory store: destroyed while the call hung"));
  }
  if (fail_all_) return Call(this, *fail_all_);
  auto it = fail_next_.find(op);
  if (it != fail_next_.end() && !it->second.empty()) {
    absl::Status st = std::move(it->second.front());
    it->second.pop_front();
    return Call(this, std::move(st));
  }
  return Call(this, absl::OkStatus());
}

void FaultInjector::Leave() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

void FaultInjector::FailAll(absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_all_ = std::move(status);
}

void FaultInjector::FailNext(absl::string_view op, absl::Status status) {
  CheckKnown(op);
  absl::MutexLock lock(&mu_);
  fail_next_[std::string(op)].push_back(std::move(status));
}

void FaultInjector::Hang() {
  absl::MutexLock lock(&mu_);
  if (hanging_) return;
  hanging_ = true;
  ++hang_epoch_;
}

void FaultInjector::Release() {
  absl::MutexLock lock(&mu_);
  hanging_ = false;
  released_epoch_ = hang_epoch_;
}

bool FaultInjector::WaitForHung(int n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return hung_ >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

int FaultInjector::calls(absl::string_view op) const {
  CheckKnown(op);
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

void FaultInjector::ClearFaults() {
  absl::MutexLock lock(&mu_);
  fail_all_.reset();
  fail_next_.clear();
  hanging_ = false;
  released_epoch_ = hang_epoch_;
}

}  // namespace dirbridge::cloud
