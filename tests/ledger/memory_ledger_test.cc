#include "ledger/memory_ledger.h"

#include <gtest/gtest.h>

#include "ledger/block_builder.h"
#include "ledger/block_hash.h"

namespace fabnet::ledger {
namespace {

TEST(MemoryLedgerTest, StartsEmpty) {
  MemoryLedger ledger;
  EXPECT_EQ(ledger.height(), 0u);
  EXPECT_EQ(ledger.last_header_hash(), "");
  EXPECT_FALSE(ledger.block_bytes(0));
  EXPECT_FALSE(ledger.block(0));
}

TEST(MemoryLedgerTest, AppendsAChainAndKeepsBytesAsGiven) {
  MemoryLedger ledger;
  BlockBuilder builder;
  for (int i = 0; i < 3; ++i) {
    const auto block = builder.next({"envelope-" + std::to_string(i)});
    const auto bytes = block.SerializeAsString();
    ASSERT_TRUE(ledger.append(block, bytes).ok) << i;
    EXPECT_EQ(ledger.last_header_hash(), header_hash(block.header()));
  }
  EXPECT_EQ(ledger.height(), 3u);
  // Bytes are stored verbatim, even ones a re-marshal would not reproduce.
  const auto block = builder.next({"x"});
  const auto bytes = block.SerializeAsString() + std::string("\x1a\x00", 2);  // empty metadata
  ASSERT_TRUE(ledger.append(block, bytes).ok);
  EXPECT_EQ(*ledger.block_bytes(3), bytes);
  EXPECT_EQ(ledger.block(1)->data().data(0), "envelope-1");
}

TEST(MemoryLedgerTest, RefusesWrongNumberAndLeavesLedgerUnchanged) {
  MemoryLedger ledger;
  BlockBuilder builder;
  const auto genesis = builder.next({"g"});
  ASSERT_TRUE(ledger.append(genesis, genesis.SerializeAsString()).ok);

  const auto skipped = make_block(2, header_hash(genesis.header()), {"a"});
  const auto result = ledger.append(skipped, skipped.SerializeAsString());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, RefusalReason::kWrongNumber);
  const auto duplicate = ledger.append(genesis, genesis.SerializeAsString());
  EXPECT_EQ(duplicate.reason, RefusalReason::kWrongNumber);
  EXPECT_EQ(ledger.height(), 1u);
  EXPECT_EQ(ledger.last_header_hash(), header_hash(genesis.header()));
  EXPECT_EQ(ledger.refusals()[RefusalReason::kWrongNumber], 2u);
}

TEST(MemoryLedgerTest, RefusesBrokenHashChain) {
  MemoryLedger ledger;
  const auto genesis = make_block(0, "", {"g"});
  ASSERT_TRUE(ledger.append(genesis, genesis.SerializeAsString()).ok);
  const auto forged = make_block(1, std::string(32, '\x01'), {"a"});
  const auto result = ledger.append(forged, forged.SerializeAsString());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, RefusalReason::kBrokenHashChain);
  EXPECT_NE(result.detail.find("previous_hash"), std::string::npos) << result.detail;
  EXPECT_EQ(ledger.height(), 1u);
}

TEST(MemoryLedgerTest, RefusesGenesisWithPreviousHashAndBlockWithoutHeader) {
  MemoryLedger ledger;
  const auto genesis = make_block(0, "not-empty", {"g"});
  EXPECT_EQ(ledger.append(genesis, genesis.SerializeAsString()).reason,
            RefusalReason::kBrokenHashChain);
  common::Block headless;
  EXPECT_EQ(ledger.append(headless, headless.SerializeAsString()).reason,
            RefusalReason::kMalformed);
  EXPECT_EQ(ledger.height(), 0u);
}

}  // namespace
}  // namespace fabnet::ledger
