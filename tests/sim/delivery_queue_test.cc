// The network's in-flight queue: delivery by due time, ties in send order, and
// deliveries that land in the bucket being drained.

#include "sim/delivery_queue.h"

#include <gtest/gtest.h>

#include <vector>

namespace fabnet::sim {
namespace {

using runtime::TimePoint;
using Delivery = DeliveryQueue::Delivery;

std::vector<std::uint32_t> pop(DeliveryQueue& q) {
  std::vector<Delivery> out;
  q.pop_due(out);
  std::vector<std::uint32_t> records;
  for (const Delivery& d : out) records.push_back(d.record);
  return records;
}

TEST(DeliveryQueueTest, DeliversByDueTimeAndTiesInSendOrder) {
  DeliveryQueue q;
  q.push(TimePoint(9'000'000), {1, 0});
  q.push(TimePoint(5'000'000), {2, 0});
  q.push(TimePoint(9'000'000), {3, 0});
  q.push(TimePoint(5'000'001), {4, 0});
  q.push(TimePoint(5'000'000), {5, 0});
  EXPECT_EQ(q.size(), 5u);
  EXPECT_EQ(q.next_due(), TimePoint(5'000'000));
  EXPECT_EQ(pop(q), (std::vector<std::uint32_t>{2, 5}));
  EXPECT_EQ(q.next_due(), TimePoint(5'000'001));
  EXPECT_EQ(pop(q), (std::vector<std::uint32_t>{4}));
  EXPECT_EQ(pop(q), (std::vector<std::uint32_t>{1, 3}));
  EXPECT_TRUE(q.empty());
}

TEST(DeliveryQueueTest, ADeliveryDueInTheBucketBeingDrainedComesAfterItsEquals) {
  DeliveryQueue q;
  q.push(TimePoint(100), {1, 0});
  q.push(TimePoint(300), {2, 0});
  EXPECT_EQ(pop(q), (std::vector<std::uint32_t>{1}));  // the bucket is now sorted
  q.push(TimePoint(300), {3, 0});                      // same bucket, same time: after 2
  q.push(TimePoint(200), {4, 0});                      // same bucket, earlier: first
  EXPECT_EQ(pop(q), (std::vector<std::uint32_t>{4}));
  EXPECT_EQ(pop(q), (std::vector<std::uint32_t>{2, 3}));
  EXPECT_TRUE(q.empty());
}

TEST(DeliveryQueueTest, AMillionEntriesComeOutSortedAcrossBuckets) {
  DeliveryQueue q;
  std::uint64_t x = 1;
  for (std::uint32_t i = 0; i < 1'000'000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    q.push(TimePoint(static_cast<std::int64_t>((x >> 33) % 10'000'000)), {i, 0});
  }
  TimePoint last(-1);
  std::size_t seen = 0;
  std::vector<Delivery> out;
  while (!q.empty()) {
    const TimePoint due = q.next_due();
    ASSERT_GT(due, last);
    out.clear();
    q.pop_due(out);
    for (std::size_t k = 1; k < out.size(); ++k) ASSERT_LT(out[k - 1].record, out[k].record);
    seen += out.size();
    last = due;
  }
  EXPECT_EQ(seen, 1'000'000u);
}

}  // namespace
}  // namespace fabnet::sim
