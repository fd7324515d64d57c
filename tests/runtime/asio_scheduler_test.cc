#include "runtime/asio_scheduler.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <vector>

namespace fabnet::runtime {
namespace {

using std::chrono::milliseconds;

// Real time, but only a few milliseconds: checks ordering and cancellation on asio.
TEST(AsioScheduler, FiresInOrderAndHonoursCancel) {
  asio::io_context io;
  AsioScheduler s(io);
  std::vector<int> order;
  s.schedule(milliseconds(3), [&] { order.push_back(2); });
  s.schedule(milliseconds(1), [&] { order.push_back(1); });
  const TimerId doomed = s.schedule(milliseconds(2), [&] { order.push_back(99); });
  s.cancel(doomed);
  io.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_GE(s.now(), milliseconds(3));
}

TEST(AsioScheduler, TimerSlotWorksOnTheEventLoop) {
  asio::io_context io;
  AsioScheduler s(io);
  int fired = 0;
  Timer t(s);
  t.arm(milliseconds(1), [&] {
    ++fired;
    if (fired < 3) t.arm(milliseconds(1), [&] { ++fired; });
  });
  io.run();
  EXPECT_EQ(fired, 2);
}

}  // namespace
}  // namespace fabnet::runtime
