#include "orderer/block_cutter.h"

#include <gtest/gtest.h>

#include "runtime/virtual_scheduler.h"

namespace fabnet::orderer {
namespace {

using namespace std::chrono_literals;

struct CutterTest : ::testing::Test {
  config::BatchSettings batch;
  runtime::VirtualScheduler scheduler;
  std::vector<std::pair<runtime::TimePoint, std::vector<std::uint64_t>>> cuts;
  std::unique_ptr<BlockCutter> cutter;
  std::uint64_t next_ticket = 1;

  void make() {
    cutter = std::make_unique<BlockCutter>(batch, scheduler, [this](Batch b) {
      std::vector<std::uint64_t> tickets;
      for (const auto& e : b) tickets.push_back(e.ticket);
      cuts.emplace_back(scheduler.now(), tickets);
    });
  }
  void add(std::size_t bytes) { cutter->add({std::string(bytes, 'x'), next_ticket++}); }
};

TEST_F(CutterTest, CutsAtMaxMessageCountInArrivalOrder) {
  batch.max_message_count = 3;
  make();
  for (int i = 0; i < 7; ++i) add(10);
  ASSERT_EQ(cuts.size(), 2u);
  EXPECT_EQ(cuts[0].second, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(cuts[1].second, (std::vector<std::uint64_t>{4, 5, 6}));
  EXPECT_EQ(cutter->pending_count(), 1u);
}

TEST_F(CutterTest, CutsBeforeAnEnvelopeThatWouldExceedPreferredMaxBytes) {
  batch.preferred_max_bytes = 100;
  make();
  add(40);
  add(40);
  EXPECT_TRUE(cuts.empty());
  add(40);  // 120 > 100: the first two go
  ASSERT_EQ(cuts.size(), 1u);
  EXPECT_EQ(cuts[0].second, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(cutter->pending_bytes(), 40u);
}

TEST_F(CutterTest, EnvelopeLargerThanPreferredMaxBytesGoesAloneAfterThePendingBatch) {
  batch.preferred_max_bytes = 100;
  make();
  add(10);
  add(500);
  ASSERT_EQ(cuts.size(), 2u);
  EXPECT_EQ(cuts[0].second, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(cuts[1].second, (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(cutter->pending_count(), 0u);
}

TEST_F(CutterTest, CutsBatchTimeoutAfterTheFirstPendingEnvelope) {
  batch.batch_timeout = 2s;
  make();
  add(10);
  scheduler.run_for(1500ms);
  add(10);  // does not restart the timer
  scheduler.run_for(499ms);
  EXPECT_TRUE(cuts.empty());
  scheduler.run_for(1ms);
  ASSERT_EQ(cuts.size(), 1u);
  EXPECT_EQ(cuts[0].first, runtime::TimePoint(2s));
  EXPECT_EQ(cuts[0].second, (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(CutterTest, TimerStartsAgainWithTheNextBatchAndNotBefore) {
  batch.batch_timeout = 2s;
  batch.max_message_count = 2;
  make();
  add(1);
  add(1);  // cut by count: no timer left behind
  EXPECT_EQ(scheduler.pending(), 0u);
  scheduler.run_for(10s);
  add(1);
  scheduler.run_for(2s);
  ASSERT_EQ(cuts.size(), 2u);
  EXPECT_EQ(cuts[1].first, runtime::TimePoint(12s));
}

}  // namespace
}  // namespace fabnet::orderer
