// Group commit: blocks cut while the loop is busy share one commit (one sync), and
// no envelope is acknowledged, nor its block delivered, before that commit.

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace fabnet::orderer::testing
