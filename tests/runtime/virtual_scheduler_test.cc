#include "runtime/virtual_scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace fabnet::runtime {
namespace {

using std::chrono::milliseconds;

TEST(VirtualScheduler, FiresInTimeOrderAndTiesInSchedulingOrder) {
  VirtualScheduler s;
  std::vector<int> order;
  s.schedule(milliseconds(20), [&] { order.push_back(3); });
  s.schedule(milliseconds(10), [&] { order.push_back(1); });
  s.schedule(milliseconds(10), [&] { order.push_back(2); });
  s.run_until(milliseconds(100));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(s.now(), milliseconds(100));
}

TEST(VirtualScheduler, TimeMovesToEachEventAsItFires) {
  VirtualScheduler s;
  TimePoint seen{-1};
  s.schedule(milliseconds(7), [&] { seen = s.now(); });
  s.run_for(milliseconds(5));
  EXPECT_EQ(seen, TimePoint{-1});
  s.run_for(milliseconds(5));
  EXPECT_EQ(seen, milliseconds(7));
}

TEST(VirtualScheduler, CancelledTimersNeverFire) {
  VirtualScheduler s;
  bool fired = false;
  const TimerId id = s.schedule(milliseconds(1), [&] { fired = true; });
  s.cancel(id);
  s.cancel(id);     // twice is fine
  s.cancel(12345);  // unknown is fine
  s.run_for(milliseconds(10));
  EXPECT_FALSE(fired);
  EXPECT_EQ(s.pending(), 0u);
}

TEST(VirtualScheduler, CallbacksMayScheduleMoreWork) {
  VirtualScheduler s;
  int count = 0;
  std::function<void()> tick = [&] {
    if (++count < 5) s.schedule(milliseconds(1), tick);
  };
  s.schedule(milliseconds(1), tick);
  s.run_for(milliseconds(100));
  EXPECT_EQ(count, 5);
}

TEST(VirtualScheduler, HookRunsAfterEveryEvent) {
  VirtualScheduler s;
  int hooks = 0;
  s.set_after_event_hook([&] { ++hooks; });
  for (int i = 0; i < 3; ++i) s.schedule(milliseconds(i), [] {});
  s.run_for(milliseconds(10));
  EXPECT_EQ(hooks, 3);
  EXPECT_EQ(s.events_fired(), 3u);
}

TEST(VirtualScheduler, RunUntilConditionStopsEarly) {
  VirtualScheduler s;
  int count = 0;
  for (int i = 1; i <= 10; ++i) s.schedule(milliseconds(i), [&] { ++count; });
  EXPECT_TRUE(s.run_until_condition([&] { return count == 3; }, milliseconds(100)));
  EXPECT_EQ(s.now(), milliseconds(3));
  EXPECT_FALSE(s.run_until_condition([&] { return count == 99; }, milliseconds(50)));
  EXPECT_EQ(s.now(), milliseconds(50));
}

TEST(VirtualScheduler, StaleIdsNeverCancelALaterTimer) {
  VirtualScheduler s;
  const TimerId fired_id = s.schedule(milliseconds(1), [] {});
  const TimerId cancelled_id = s.schedule(milliseconds(1), [] {});
  s.cancel(cancelled_id);
  s.run_for(milliseconds(5));
  // The freed storage is reused by these; the old ids must not reach them.
  int fired = 0;
  const TimerId a = s.schedule(milliseconds(1), [&] { ++fired; });
  const TimerId b = s.schedule(milliseconds(1), [&] { ++fired; });
  EXPECT_NE(a, fired_id);
  EXPECT_NE(b, cancelled_id);
  s.cancel(fired_id);
  s.cancel(cancelled_id);
  EXPECT_EQ(s.pending(), 2u);
  s.run_for(milliseconds(5));
  EXPECT_EQ(fired, 2);
}

TEST(VirtualScheduler, CallbacksMayCancelThemselvesAndOthers) {
  VirtualScheduler s;
  std::vector<int> order;
  TimerId self = kNoTimer;
  TimerId other = kNoTimer;
  self = s.schedule(milliseconds(1), [&] {
    order.push_back(1);
    s.cancel(self);   // already firing: a no-op
    s.cancel(other);  // still pending: never fires
    s.schedule(milliseconds(0), [&] { order.push_back(3); });
  });
  other = s.schedule(milliseconds(2), [&] { order.push_back(2); });
  s.run_for(milliseconds(10));
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
  EXPECT_EQ(s.pending(), 0u);
}

TEST(VirtualScheduler, ManyInterleavedTimersFireInDueThenSchedulingOrder) {
  VirtualScheduler s;
  std::vector<std::pair<int, int>> fired;  // (due ms, scheduling index)
  std::vector<TimerId> ids;
  for (int i = 0; i < 500; ++i) {
    const int due = (i * 37) % 50;
    ids.push_back(s.schedule(milliseconds(due), [&fired, due, i] { fired.emplace_back(due, i); }));
  }
  for (int i = 0; i < 500; i += 3) s.cancel(ids[i]);
  EXPECT_EQ(s.pending(), 333u);
  s.run_for(milliseconds(100));
  ASSERT_EQ(fired.size(), 333u);
  EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
  for (const auto& [due, i] : fired) EXPECT_NE(i % 3, 0);
}

TEST(Timer, RearmingCancelsThePreviousCallback) {
  VirtualScheduler s;
  int which = 0;
  {
    Timer t(s);
    t.arm(milliseconds(5), [&] { which = 1; });
    t.arm(milliseconds(10), [&] { which = 2; });
    EXPECT_TRUE(t.armed());
    s.run_for(milliseconds(20));
    EXPECT_EQ(which, 2);
    EXPECT_FALSE(t.armed());
    t.arm(milliseconds(5), [&] { which = 3; });
  }  // destroyed while armed: must not fire
  s.run_for(milliseconds(20));
  EXPECT_EQ(which, 2);
}

}  // namespace
}  // namespace fabnet::runtime
