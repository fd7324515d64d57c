// Group commit: blocks cut while the loop is busy share one commit (one sync), and
// no envelope is acknowledged, nor its block delivered, before that commit.

#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "block_check.h"
#include "orderer_fixture.h"

namespace fabnet::orderer::testing {
namespace {

using namespace std::chrono_literals;
using ::orderer::SeekInfo;

config::BatchSettings one_per_block() {
  config::BatchSettings b;
  b.max_message_count = 1;
  return b;
}

TEST(OrdererGroupCommit, BlocksCutTogetherShareOneCommitAndSuccessWaitsForIt) {
  OrdererHarness h(one_per_block(), /*group_commit=*/true);
  const int commits_at_start = h.staging().commits;
  auto sink = std::make_shared<RecordingSink>();
  const auto session = h.orderer().open_deliver(sink);
  h.orderer().deliver_request(
      session, h.validator().check_deliver(h.seek(
                   seek_info(specified(1), specified(UINT64_MAX), SeekInfo::BLOCK_UNTIL_READY))));

  std::vector<std::shared_ptr<std::optional<common::Status>>> statuses;
  for (int i = 0; i < 3; ++i) statuses.push_back(h.broadcast(h.envelope()));
  // Three blocks cut and staged; none durable yet: no SUCCESS, nothing delivered.
  EXPECT_EQ(h.staging().staged_height(), 4u);
  EXPECT_EQ(h.ledger().height(), 1u);
  for (const auto& s : statuses) EXPECT_FALSE(s->has_value());
  EXPECT_TRUE(sink->numbers.empty());

  h.scheduler().run_for(0s);  // the commit runs after what was queued
  EXPECT_EQ(h.staging().commits - commits_at_start, 1);
  EXPECT_EQ(h.ledger().height(), 4u);
  for (const auto& s : statuses) EXPECT_EQ(s->value_or(common::UNKNOWN), common::SUCCESS);
  EXPECT_EQ(sink->numbers, (std::vector<std::uint64_t>{1, 2, 3}));
  for (std::uint64_t n = 1; n <= 3; ++n) EXPECT_EQ(sink->blocks[n - 1], *h.ledger().block_bytes(n));
  EXPECT_EQ(check_chain(h.ledger(), h.crypto(), "OrdererMSP"), "");
}

TEST(OrdererGroupCommit, AFailedCommitAnswersServiceUnavailableAndNeverSuccess) {
  OrdererHarness h(one_per_block(), /*group_commit=*/true);
  h.staging().fail_commit = true;
  auto first = h.broadcast(h.envelope());
  auto second = h.broadcast(h.envelope());
  h.scheduler().run_for(0s);
  EXPECT_EQ(first->value_or(common::UNKNOWN), common::SERVICE_UNAVAILABLE);
  EXPECT_EQ(second->value_or(common::UNKNOWN), common::SERVICE_UNAVAILABLE);
  EXPECT_EQ(h.ledger().height(), 1u);
}

TEST(OrdererGroupCommit, StopCommitsWhatIsStagedBeforeReturning) {
  OrdererHarness h({}, /*group_commit=*/true);  // 10 per block: the envelope waits in the cutter
  auto status = h.broadcast(h.envelope());
  h.orderer().stop();
  EXPECT_EQ(status->value_or(common::UNKNOWN), common::SUCCESS);
  EXPECT_EQ(h.ledger().height(), 2u);
}

// A sink with the daemon's StreamSink protocol: full at `capacity` items (send_block
// says so), and the drainer tells the orderer there is room again once it has taken
// the outbox down to half.
struct BoundedSink final : DeliverSink {
  explicit BoundedSink(std::size_t c) : capacity(c) {}
  std::size_t capacity;
  std::deque<std::uint64_t> outbox;
  std::vector<std::uint64_t> taken;
  bool full = false;
  bool send_block(std::uint64_t number, const std::string&) override {
    outbox.push_back(number);
    full = outbox.size() >= capacity;
    return !full;
  }
  void send_status(common::Status, const std::string&) override {}
  // Takes up to `count` blocks; true when the orderer must be told there is room.
  bool drain(std::size_t count) {
    bool became_ready = false;
    for (std::size_t i = 0; i < count && !outbox.empty(); ++i) {
      taken.push_back(outbox.front());
      outbox.pop_front();
      if (full && outbox.size() <= capacity / 2) {
        full = false;
        became_ready = true;
      }
    }
    return became_ready;
  }
};

// Whatever the interleaving of cuts, commits, a slow reader and its "ready again", a
// session at the head gets every committed block exactly once, in order.
TEST(OrdererGroupCommit, ASessionWithABoundedOutboxGetsEveryCommittedBlock) {
  config::BatchSettings batch;
  batch.max_message_count = 2;
  for (unsigned seed = 1; seed <= 40; ++seed) {
    OrdererHarness h(batch, /*group_commit=*/true);
    std::mt19937 random(seed);
    // Small outboxes, and the daemon's 64 (which lets the reader fall more than
    // the orderer's 64 recent blocks behind, so that blocks are read back).
    auto sink = std::make_shared<BoundedSink>(seed % 2 == 0 ? 64 : 4 + seed % 5);
    const auto session = h.orderer().open_deliver(sink);
    h.orderer().deliver_request(
        session, h.validator().check_deliver(h.seek(
                     seek_info(specified(1), specified(UINT64_MAX), SeekInfo::BLOCK_UNTIL_READY))));
    for (int step = 0; step < 200; ++step) {
      switch (random() % 3) {
        case 0:
          for (unsigned i = random() % 7; i > 0; --i) h.broadcast(h.envelope());
          break;
        case 1:
          h.scheduler().run_for(0s);  // commits what was cut
          break;
        default:
          if (sink->drain(random() % 6)) h.orderer().deliver_ready(session);
      }
    }
    h.scheduler().run_for(0s);
    while (sink->drain(1000)) h.orderer().deliver_ready(session);
    sink->drain(1000);
    const std::uint64_t height = h.ledger().height();
    ASSERT_GT(height, 1u) << "seed " << seed;
    std::vector<std::uint64_t> expected;
    for (std::uint64_t n = 1; n < height; ++n) expected.push_back(n);
    ASSERT_EQ(sink->taken, expected) << "seed " << seed << ", capacity " << sink->capacity;
  }
}

}  // namespace
}  // namespace fabnet::orderer::testing
