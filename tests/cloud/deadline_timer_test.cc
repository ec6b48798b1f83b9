// cloud::DeadlineTimer: closures run at their time, never after Disarm,
// and the timer thread is woken only when a deadline falls before its
// own next wake.

#include "cloud_svc/routing/deadline_timer.h"

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace dirbridge::cloud {
namespace {

TEST(DeadlineTimerTest, AClosureRunsAtItsTime) {
  DeadlineTimer timer;
  absl::Notification fired;
  absl::Time armed_at = absl::Now();
  timer.Arm(armed_at + absl::Milliseconds(50), [&] { fired.Notify(); });
  ASSERT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_GE(absl::Now() - armed_at, absl::Milliseconds(50));
  EXPECT_EQ(timer.armed(), 0u);
}

TEST(DeadlineTimerTest, ADisarmedClosureNeverRuns) {
  DeadlineTimer timer;
  bool ran = false;
  DeadlineTimer::Id id = timer.Arm(absl::Now() + absl::Milliseconds(30), [&] { ran = true; });
  timer.Disarm(id);
  absl::Notification later;
  timer.Arm(absl::Now() + absl::Milliseconds(100), [&] { later.Notify(); });
  ASSERT_TRUE(later.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_FALSE(ran);
}

// A short deadline armed while the timer sleeps toward a later one must
// not wait for that wake (at most a second away).
TEST(DeadlineTimerTest, AnEarlierDeadlineWakesTheSleepingTimer) {
  DeadlineTimer timer;
  timer.Arm(absl::Now() + absl::Seconds(30), [] {});
  absl::SleepFor(absl::Milliseconds(50));  // the timer thread is asleep
  absl::Notification fired;
  absl::Time armed_at = absl::Now();
  timer.Arm(armed_at + absl::Milliseconds(20), [&] { fired.Notify(); });
  ASSERT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_LT(absl::Now() - armed_at, absl::Milliseconds(500));
  EXPECT_GE(timer.wakes(), 1u);
}

// One call at a time, each the only one armed, is the common case of a
// quiet tenant: none of them may cost the timer thread a wake.
TEST(DeadlineTimerTest, CallsOneAtATimeNeverWakeTheTimer) {
  DeadlineTimer timer;
  for (int i = 0; i < 200; ++i) {
    DeadlineTimer::Id id = timer.Arm(absl::Now() + absl::Seconds(30), [] {});
    timer.Disarm(id);
    if (i % 50 == 0) absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(timer.wakes(), 0u);
}

TEST(DeadlineTimerTest, ManyDeadlinesRunInTheirOrder) {
  DeadlineTimer timer;
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification last;
  absl::Time base = absl::Now();
  for (int i : {3, 1, 4, 0, 2}) {
    timer.Arm(base + absl::Milliseconds(20 * (i + 1)), [&, i] {
      absl::MutexLock lock(&mu);
      order.push_back(i);
      if (order.size() == 5) last.Notify();
    });
  }
  ASSERT_TRUE(last.WaitForNotificationWithTimeout(absl::Seconds(5)));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace dirbridge::cloud
