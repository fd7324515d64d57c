#include "gossip/rejection_limiter.h"

#include <gtest/gtest.h>

namespace fabnet::gossip {
namespace {

using namespace std::chrono_literals;

TEST(RejectionLimiter, FirstRejectionOfAPeerAndReasonIsReported) {
  RejectionLimiter limiter(60s);
  EXPECT_EQ(limiter.admit("peer-a", DropReason::kBadSignature, runtime::TimePoint(0)), 0u);
  // Another reason, another peer: each reported on its own.
  EXPECT_EQ(limiter.admit("peer-a", DropReason::kBadMac, runtime::TimePoint(0)), 0u);
  EXPECT_EQ(limiter.admit("peer-b", DropReason::kBadSignature, runtime::TimePoint(0)), 0u);
}

TEST(RejectionLimiter, AFloodIsReportedOncePerIntervalWithTheCountHeldBack) {
  RejectionLimiter limiter(60s);
  int reported = 0;
  for (int i = 0; i < 1000; ++i)
    if (limiter.admit("peer-a", DropReason::kBadSignature, runtime::TimePoint(i * 1ms))) ++reported;
  EXPECT_EQ(reported, 1);
  const auto next = limiter.admit("peer-a", DropReason::kBadSignature, runtime::TimePoint(61s));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, 999u);
  EXPECT_EQ(limiter.admit("peer-a", DropReason::kBadSignature, runtime::TimePoint(62s)),
            std::nullopt);
}

TEST(RejectionLimiter, ManyDistinctPeersTakeBoundedMemory) {
  RejectionLimiter limiter(60s, /*max_tracked=*/8);
  for (int i = 0; i < 100; ++i)
    limiter.admit("peer-" + std::to_string(i), DropReason::kBadSignature, runtime::TimePoint(0));
  EXPECT_EQ(limiter.tracked(), 8u);
  // Once the interval has passed the old entries make room again.
  EXPECT_EQ(limiter.admit("late", DropReason::kBadSignature, runtime::TimePoint(61s)), 0u);
  EXPECT_EQ(limiter.tracked(), 1u);
}

}  // namespace
}  // namespace fabnet::gossip
