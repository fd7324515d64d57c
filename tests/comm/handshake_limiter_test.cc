// HandshakeLimiter: the bound on handshake checks that reach the event loop.

#include "comm/handshake_limiter.h"

#include <gtest/gtest.h>

namespace fabnet::comm {
namespace {

using namespace std::chrono_literals;
using Clock = HandshakeLimiter::Clock;

TEST(CommHandshakeLimiter, BurstPassesThenTheRateRefills) {
  HandshakeLimiter limiter(/*rate=*/10, /*burst=*/3, /*max_in_flight=*/0);
  Clock::time_point t = Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.try_begin(t));
    limiter.finished();
  }
  EXPECT_FALSE(limiter.try_begin(t));  // a flood at one instant gets the burst only
  EXPECT_FALSE(limiter.try_begin(t + 50ms));
  EXPECT_TRUE(limiter.try_begin(t + 100ms));  // 10 per second: one token per 100 ms
  limiter.finished();
  EXPECT_FALSE(limiter.try_begin(t + 150ms));
  // A long pause refills up to the burst, not beyond.
  int passed = 0;
  for (int i = 0; i < 10; ++i) {
    if (limiter.try_begin(t + 1h)) {
      ++passed;
      limiter.finished();
    }
  }
  EXPECT_EQ(passed, 3);
}

TEST(CommHandshakeLimiter, ChecksWaitingOnTheLoopAreCapped) {
  HandshakeLimiter limiter(/*rate=*/0, /*burst=*/1, /*max_in_flight=*/2);
  const Clock::time_point t = Clock::time_point{} + 1h;
  EXPECT_TRUE(limiter.try_begin(t));
  EXPECT_TRUE(limiter.try_begin(t));
  EXPECT_FALSE(limiter.try_begin(t));
  EXPECT_EQ(limiter.in_flight(), 2u);
  limiter.finished();
  EXPECT_TRUE(limiter.try_begin(t));
}

}  // namespace
}  // namespace fabnet::comm
