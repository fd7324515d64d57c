#include "sim/skewed_scheduler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fabnet::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SkewedSchedulerTest, RateOneIsTheSharedClock) {
  runtime::VirtualScheduler base;
  base.run_for(seconds(3));
  SkewedScheduler clock(base);
  EXPECT_EQ(clock.now(), base.now());
  bool fired = false;
  clock.schedule(seconds(1), [&] { fired = true; });
  base.run_for(milliseconds(999));
  EXPECT_FALSE(fired);
  base.run_for(milliseconds(1));
  EXPECT_TRUE(fired);
}

TEST(SkewedSchedulerTest, FastClockFiresTimersEarlyAndReadsAhead) {
  runtime::VirtualScheduler base;
  SkewedScheduler clock(base, 2.0);  // runs twice as fast
  runtime::TimePoint fired_at{-1};
  clock.schedule(seconds(10), [&] { fired_at = base.now(); });
  base.run_for(seconds(6));
  EXPECT_EQ(fired_at, seconds(5));
  EXPECT_EQ(clock.now(), seconds(12));
}

TEST(SkewedSchedulerTest, RateChangeKeepsTheClockContinuousAndRetimesPendingTimers) {
  runtime::VirtualScheduler base;
  SkewedScheduler clock(base);
  runtime::TimePoint fired_at{-1};
  clock.schedule(seconds(10), [&] { fired_at = base.now(); });
  base.run_for(seconds(4));
  clock.set_rate(0.5);  // from now on half speed: 6 local seconds left take 12
  EXPECT_EQ(clock.now(), seconds(4));
  base.run_for(seconds(2));
  EXPECT_EQ(clock.now(), seconds(5));
  base.run_for(seconds(20));
  EXPECT_EQ(fired_at, seconds(16));
}

TEST(SkewedSchedulerTest, PauseHoldsDueTimersAndResumeFiresThemInDueOrder) {
  runtime::VirtualScheduler base;
  SkewedScheduler clock(base);
  std::vector<std::string> fired;
  clock.schedule(seconds(3), [&] { fired.push_back("b"); });
  clock.schedule(seconds(1), [&] { fired.push_back("a"); });
  clock.schedule(seconds(9), [&] { fired.push_back("c"); });
  clock.pause();
  base.run_for(seconds(5));
  EXPECT_TRUE(fired.empty());
  EXPECT_EQ(clock.now(), seconds(5));  // a hung process's clock keeps running
  clock.resume();
  base.run_for(milliseconds(0));
  EXPECT_EQ(fired, (std::vector<std::string>{"a", "b"}));
  base.run_for(seconds(4));
  EXPECT_EQ(fired, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(SkewedSchedulerTest, CancelAllDropsEveryTimerIncludingHeldOnes) {
  runtime::VirtualScheduler base;
  SkewedScheduler clock(base);
  int fired = 0;
  clock.schedule(seconds(1), [&] { ++fired; });
  clock.schedule(seconds(5), [&] { ++fired; });
  clock.pause();
  base.run_for(seconds(2));
  clock.cancel_all();
  clock.resume();
  base.run_for(seconds(10));
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(clock.pending(), 0u);
  EXPECT_EQ(base.pending(), 0u);
}

TEST(SkewedSchedulerTest, CancelledTimerNeverFires) {
  runtime::VirtualScheduler base;
  SkewedScheduler clock(base, 1.05);
  bool fired = false;
  const runtime::TimerId id = clock.schedule(seconds(1), [&] { fired = true; });
  clock.cancel(id);
  clock.cancel(id);  // twice is fine
  base.run_for(seconds(2));
  EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace fabnet::sim
