#include "ledger/block_store.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <iostream>
#include <memory>
#include <thread>

#include "ledger/block_hash.h"
#include "store_test_support.h"

namespace fabnet::ledger {
namespace {

using testing::ChainBlock;
using testing::make_chain;

constexpr BlockStoreOptions kFast{64ull << 20, SyncPolicy::kNone};

class BlockStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path blocks_dir() const { return scratch_.path() / "chains" / "mychannel"; }
  std::filesystem::path index_dir() const { return scratch_.path() / "index" / "mychannel"; }
  std::filesystem::path file(int number) const {
    return blocks_dir() / ("blockfile_00000" + std::to_string(number));
  }

  std::unique_ptr<BlockStore> open(BlockStoreOptions options = kFast) const {
    return std::make_unique<BlockStore>(blocks_dir(), index_dir(), options);
  }

  static void append_all(BlockStore& store, const std::vector<ChainBlock>& chain, std::size_t from,
                         std::size_t to) {
    for (auto n = from; n < to; ++n) {
      const auto result = store.append(chain[n].block, chain[n].bytes);
      ASSERT_TRUE(result.ok) << "block " << n << ": " << result.detail;
    }
  }

  static void expect_holds_prefix(const BlockStore& store, const std::vector<ChainBlock>& chain,
                                  std::uint64_t height) {
    ASSERT_EQ(store.height(), height);
    EXPECT_EQ(store.last_header_hash(),
              height == 0 ? "" : header_hash(chain[height - 1].block.header()));
    for (std::uint64_t n = 0; n < height; ++n) EXPECT_EQ(store.block_bytes(n), chain[n].bytes) << n;
    EXPECT_FALSE(store.block_bytes(height));
  }

  testing::ScratchFolder scratch_;
};

TEST_F(BlockStoreTest, StartsEmptyAndCreatesItsFolders) {
  const auto store = open();
  EXPECT_EQ(store->height(), 0u);
  EXPECT_EQ(store->last_header_hash(), "");
  EXPECT_FALSE(store->block(0));
  EXPECT_TRUE(std::filesystem::is_directory(blocks_dir()));
  EXPECT_TRUE(std::filesystem::is_directory(index_dir()));
  EXPECT_EQ(store->recovery().detail, "");
}

TEST_F(BlockStoreTest, AppendsAndResumesAtTheStoredHeightAfterReopen) {
  const auto chain = make_chain(6);
  {
    const auto store = open(BlockStoreOptions{});  // the default: synced every block
    append_all(*store, chain, 0, 4);
    expect_holds_prefix(*store, chain, 4);
    EXPECT_EQ(store->block(2)->header().number(), 2u);
  }
  const auto store = open();
  EXPECT_EQ(store->recovery().detail, "");
  expect_holds_prefix(*store, chain, 4);
  append_all(*store, chain, 4, 6);
  expect_holds_prefix(*store, chain, 6);
}

TEST_F(BlockStoreTest, RollsBlockFilesAtTheConfiguredSize) {
  const auto chain = make_chain(10, 2, 1000);  // about 2 KB per block
  {
    const auto store = open(BlockStoreOptions{5000, SyncPolicy::kNone});
    append_all(*store, chain, 0, 10);
  }
  EXPECT_TRUE(std::filesystem::exists(file(4)));
  EXPECT_FALSE(std::filesystem::exists(file(5)));
  for (int f = 0; f < 5; ++f) EXPECT_LE(std::filesystem::file_size(file(f)), 5000u) << f;
  const auto store = open(BlockStoreOptions{5000, SyncPolicy::kNone});
  expect_holds_prefix(*store, chain, 10);
}

TEST_F(BlockStoreTest, StagedBlocksAreInvisibleUntilOneCommitPublishesThemAll) {
  const auto chain = make_chain(8, 2, 1000);  // about 2 KB per block: rolls files too
  const auto options = BlockStoreOptions{5000, SyncPolicy::kEveryBlock};
  {
    const auto store = open(options);
    append_all(*store, chain, 0, 2);
    for (std::size_t n = 2; n < 8; ++n) {
      const auto result = store->stage(chain[n].block, chain[n].bytes);
      ASSERT_TRUE(result.ok) << n << ": " << result.detail;
    }
    EXPECT_EQ(store->staged_height(), 8u);
    EXPECT_EQ(store->staged_last_header_hash(), header_hash(chain[7].block.header()));
    expect_holds_prefix(*store, chain, 2);  // readers see only committed blocks
    const auto mixed = store->append(chain[8 - 1].block, chain[7].bytes);
    EXPECT_FALSE(mixed.ok) << "append() while blocks are staged";
    ASSERT_TRUE(store->commit().ok);
    expect_holds_prefix(*store, chain, 8);
    EXPECT_EQ(store->staged_height(), 8u);
  }
  EXPECT_TRUE(std::filesystem::exists(file(2)));
  const auto store = open(options);
  EXPECT_EQ(store->recovery().detail, "");
  expect_holds_prefix(*store, chain, 8);
}

// A peer stages the next blocks on its event loop while the committer thread syncs:
// neither staging nor reading the chain state may wait for the disk.
TEST_F(BlockStoreTest, BlocksAreStagedWhileACommitSyncs) {
  const auto chain = make_chain(4, 2, 1000);
  const auto options = BlockStoreOptions{5000, SyncPolicy::kEveryBlock};
  std::promise<void> syncing, go_on;
  std::atomic<bool> in_sync{false}, first{true};
  const auto hold_first_sync = [&] {
    if (!first.exchange(false)) return;
    in_sync = true;
    syncing.set_value();
    go_on.get_future().wait_for(std::chrono::seconds(10));
    in_sync = false;
  };
  {
    const auto store = open(options);
    append_all(*store, chain, 0, 1);
    store->set_before_sync(hold_first_sync);
    ASSERT_TRUE(store->stage(chain[1].block, chain[1].bytes).ok);
    ASSERT_TRUE(store->stage(chain[2].block, chain[2].bytes).ok);
    AppendResult first_commit;
    std::thread committer([&] { first_commit = store->commit(); });
    syncing.get_future().wait();
    EXPECT_EQ(store->staged_last_header_hash(), header_hash(chain[2].block.header()));
    const auto during = store->stage(chain[3].block, chain[3].bytes);
    EXPECT_TRUE(in_sync) << "stage() waited for the sync";
    go_on.set_value();
    committer.join();
    ASSERT_TRUE(during.ok) << during.detail;
    ASSERT_TRUE(first_commit.ok) << first_commit.detail;
    expect_holds_prefix(*store, chain, 3);  // what was staged when the commit began
    EXPECT_EQ(store->staged_height(), 4u);
    ASSERT_TRUE(store->commit().ok);
    expect_holds_prefix(*store, chain, 4);
  }
  const auto store = open(options);
  EXPECT_EQ(store->recovery().detail, "");
  expect_holds_prefix(*store, chain, 4);
}

TEST_F(BlockStoreTest, StagedButUncommittedRecordsAreRecoveredFromTheFilesOnOpen) {
  // A crash between stage and commit: the records reached the files (the OS keeps
  // them through a kill -9), the index never heard of them.
  const auto chain = make_chain(5);
  {
    const auto store = open();
    append_all(*store, chain, 0, 2);
    for (std::size_t n = 2; n < 5; ++n)
      ASSERT_TRUE(store->stage(chain[n].block, chain[n].bytes).ok);
  }
  const auto store = open();
  EXPECT_EQ(store->recovery().blocks_reindexed, 3u);
  expect_holds_prefix(*store, chain, 5);
}

TEST_F(BlockStoreTest, StageRefusesABlockThatDoesNotFollowTheStagedOnes) {
  const auto chain = make_chain(4);
  const auto store = open();
  ASSERT_TRUE(store->stage(chain[0].block, chain[0].bytes).ok);
  ASSERT_TRUE(store->stage(chain[1].block, chain[1].bytes).ok);
  const auto skipped = store->stage(chain[3].block, chain[3].bytes);
  EXPECT_FALSE(skipped.ok);
  EXPECT_EQ(skipped.reason, RefusalReason::kWrongNumber);
  ASSERT_TRUE(store->commit().ok);
  expect_holds_prefix(*store, chain, 2);
}

TEST_F(BlockStoreTest, TornTailRecordIsTruncatedAndAppendingContinues) {
  const auto chain = make_chain(5);
  {
    const auto store = open();
    append_all(*store, chain, 0, 3);
  }
  const auto clean_size = std::filesystem::file_size(file(0));
  // A kill -9 mid-append: the header claims the whole block, a third of it arrived.
  const auto record = testing::encode_record(chain[3].bytes);
  testing::append_to_file(file(0), record.substr(0, record.size() / 3));
  {
    const auto store = open();
    EXPECT_EQ(store->recovery().truncated_bytes, record.size() / 3);
    EXPECT_NE(store->recovery().detail.find("runs past the end"), std::string::npos)
        << store->recovery().detail;
    EXPECT_EQ(std::filesystem::file_size(file(0)), clean_size);
    expect_holds_prefix(*store, chain, 3);
    append_all(*store, chain, 3, 5);
  }
  const auto store = open();
  EXPECT_EQ(store->recovery().detail, "");
  expect_holds_prefix(*store, chain, 5);
}

TEST_F(BlockStoreTest, PartialRecordHeaderIsTruncated) {
  const auto chain = make_chain(3);
  {
    const auto store = open();
    append_all(*store, chain, 0, 2);
  }
  const auto clean_size = std::filesystem::file_size(file(0));
  testing::append_to_file(file(0), testing::encode_record(chain[2].bytes).substr(0, 5));
  const auto store = open();
  EXPECT_EQ(store->recovery().truncated_bytes, 5u);
  EXPECT_EQ(std::filesystem::file_size(file(0)), clean_size);
  expect_holds_prefix(*store, chain, 2);
  append_all(*store, chain, 2, 3);
}

TEST_F(BlockStoreTest, WholeRecordNotYetIndexedIsCaughtUp) {
  // Killed between the block file write and the index write.
  const auto chain = make_chain(4);
  {
    const auto store = open();
    append_all(*store, chain, 0, 3);
  }
  testing::append_to_file(file(0), testing::encode_record(chain[3].bytes));
  const auto store = open();
  EXPECT_EQ(store->recovery().blocks_reindexed, 1u);
  EXPECT_EQ(store->recovery().truncated_bytes, 0u);
  expect_holds_prefix(*store, chain, 4);
}

TEST_F(BlockStoreTest, UnindexedRecordWithBadChecksumIsTruncated) {
  const auto chain = make_chain(4);
  {
    const auto store = open();
    append_all(*store, chain, 0, 3);
  }
  auto record = testing::encode_record(chain[3].bytes);
  record[record.size() - 10] ^= 0x01;
  testing::append_to_file(file(0), record);
  const auto store = open();
  EXPECT_EQ(store->recovery().truncated_bytes, record.size());
  EXPECT_NE(store->recovery().detail.find("checksum mismatch"), std::string::npos);
  expect_holds_prefix(*store, chain, 3);
}

TEST_F(BlockStoreTest, UnindexedRecordThatDoesNotChainIsTruncated) {
  const auto chain = make_chain(4);
  const auto other_chain = make_chain(4, 3);
  {
    const auto store = open();
    append_all(*store, chain, 0, 3);
  }
  testing::append_to_file(file(0), testing::encode_record(other_chain[3].bytes));
  const auto store = open();
  EXPECT_GT(store->recovery().truncated_bytes, 0u);
  expect_holds_prefix(*store, chain, 3);
}

TEST_F(BlockStoreTest, CorruptLastIndexedRecordIsDroppedFromTheChain) {
  const auto chain = make_chain(3);
  {
    const auto store = open();
    append_all(*store, chain, 0, 3);
  }
  auto contents = testing::read_file(file(0));
  contents[contents.size() - 20] ^= 0x40;  // inside block 2's bytes
  testing::write_file(file(0), contents);
  {
    const auto store = open();
    EXPECT_EQ(store->recovery().blocks_dropped, 1u);
    EXPECT_GT(store->recovery().truncated_bytes, 0u);
    expect_holds_prefix(*store, chain, 2);
    append_all(*store, chain, 2, 3);
  }
  const auto store = open();
  expect_holds_prefix(*store, chain, 3);
}

TEST_F(BlockStoreTest, IndexEntryPointingAtTheWrongPlaceIsRepairedFromTheFiles) {
  const auto chain = make_chain(3);
  {
    const auto store = open();
    append_all(*store, chain, 0, 3);
  }
  {
    // White-box: the index key of block 2 ("block/" + big-endian number) now points into
    // block 0's record.
    leveldb::DB* db = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), index_dir().string(), &db).ok());
    std::unique_ptr<leveldb::DB> owned(db);
    const std::string key = std::string("block/") + std::string(7, '\0') + '\x02';
    std::string location;
    ASSERT_TRUE(owned->Get(leveldb::ReadOptions(), key, &location).ok());
    location[4] = 3;  // the offset's low byte
    ASSERT_TRUE(owned->Put(leveldb::WriteOptions(), key, location).ok());
  }
  {
    const auto store = open();
    EXPECT_EQ(store->recovery().blocks_dropped, 1u);
    EXPECT_EQ(store->recovery().blocks_reindexed, 1u);
    expect_holds_prefix(*store, chain, 3);
  }
  const auto store = open();
  EXPECT_EQ(store->recovery().detail, "");  // the repair was written to the index
  expect_holds_prefix(*store, chain, 3);
}

TEST_F(BlockStoreTest, IndexRolledBackIsCaughtUpFromTheBlockFiles) {
  const auto chain = make_chain(6, 2, 1000);
  const auto options = BlockStoreOptions{5000, SyncPolicy::kNone};
  const auto saved_index = scratch_.path() / "saved-index";
  {
    const auto store = open(options);
    append_all(*store, chain, 0, 2);
  }
  std::filesystem::copy(index_dir(), saved_index);
  {
    const auto store = open(options);
    append_all(*store, chain, 2, 6);  // into later block files
  }
  std::filesystem::remove_all(index_dir());
  std::filesystem::copy(saved_index, index_dir());
  const auto store = open(options);
  EXPECT_EQ(store->recovery().blocks_reindexed, 4u);
  EXPECT_EQ(store->recovery().truncated_bytes, 0u);
  expect_holds_prefix(*store, chain, 6);
}

TEST_F(BlockStoreTest, MissingIndexIsRebuiltFromTheBlockFiles) {
  const auto chain = make_chain(5);
  {
    const auto store = open();
    append_all(*store, chain, 0, 5);
  }
  std::filesystem::remove_all(index_dir());
  const auto store = open();
  EXPECT_EQ(store->recovery().blocks_reindexed, 5u);
  expect_holds_prefix(*store, chain, 5);
}

TEST_F(BlockStoreTest, RefusedBlocksLeaveTheStoreUnchanged) {
  const auto chain = make_chain(3);
  const auto store = open();
  append_all(*store, chain, 0, 2);
  const auto size = std::filesystem::file_size(file(0));

  const auto skipping = make_block(3, header_hash(chain[1].block.header()), {"x"});
  const auto wrong_number = store->append(skipping, skipping.SerializeAsString());
  EXPECT_EQ(wrong_number.reason, RefusalReason::kWrongNumber);
  EXPECT_EQ(store->append(chain[1].block, chain[1].bytes).reason, RefusalReason::kWrongNumber);
  const auto forked = make_block(2, std::string(32, '\x07'), {"x"});
  const auto broken = store->append(forked, forked.SerializeAsString());
  EXPECT_FALSE(broken.ok);
  EXPECT_EQ(broken.reason, RefusalReason::kBrokenHashChain);
  EXPECT_EQ(store->append(common::Block{}, "").reason, RefusalReason::kMalformed);

  EXPECT_EQ(std::filesystem::file_size(file(0)), size);
  expect_holds_prefix(*store, chain, 2);
  const auto refusals = store->refusals();
  EXPECT_EQ(refusals[RefusalReason::kWrongNumber], 2u);
  EXPECT_EQ(refusals[RefusalReason::kBrokenHashChain], 1u);
  EXPECT_EQ(refusals[RefusalReason::kMalformed], 1u);
  EXPECT_EQ(refusals.total(), 4u);
  append_all(*store, chain, 2, 3);
}

TEST_F(BlockStoreTest, SecondOpenOfTheSameStoreIsRefusedNamingTheIndex) {
  const auto store = open();
  try {
    open();
    FAIL() << "a second writer opened the store";
  } catch (const BlockStoreError& error) {
    EXPECT_EQ(error.path(), index_dir());
    EXPECT_NE(std::string(error.what()).find(index_dir().string()), std::string::npos);
  }
}

TEST_F(BlockStoreTest, UnusableFolderIsAnErrorNamingThePath) {
  const auto blocker = scratch_.path() / "a-file";
  testing::write_file(blocker, "not a folder");
  try {
    BlockStore store(blocker / "chains", scratch_.path() / "index" / "c", kFast);
    FAIL() << "opened a store under a regular file";
  } catch (const BlockStoreError& error) {
    EXPECT_EQ(error.path(), blocker / "chains");
    EXPECT_NE(std::string(error.what()).find("a-file/chains"), std::string::npos) << error.what();
  }
}

TEST_F(BlockStoreTest, MalformedIndexIsAnErrorNamingTheIndex) {
  { open(); }
  {
    leveldb::DB* db = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), index_dir().string(), &db).ok());
    std::unique_ptr<leveldb::DB> owned(db);
    ASSERT_TRUE(owned->Put(leveldb::WriteOptions(), "height", "short").ok());
  }
  EXPECT_THROW(open(), BlockStoreError);
}

TEST_F(BlockStoreTest, IndexWithoutAnyBlockFilesIsAnErrorNamingTheFolder) {
  const auto chain = make_chain(2);
  {
    const auto store = open();
    append_all(*store, chain, 0, 2);
  }
  std::filesystem::remove(file(0));
  try {
    open();
    FAIL() << "opened an index whose block files are gone";
  } catch (const BlockStoreError& error) {
    EXPECT_EQ(error.path(), blocks_dir());
    EXPECT_NE(std::string(error.what()).find("no block files"), std::string::npos) << error.what();
  }
}

TEST_F(BlockStoreTest, BlockFileAfterAGapIsAnError) {
  const auto chain = make_chain(1);
  {
    const auto store = open();
    append_all(*store, chain, 0, 1);
  }
  testing::write_file(file(2), "");
  EXPECT_THROW(open(), BlockStoreError);
}

// A writer process killed with SIGKILL while appending: the reopened store holds a
// prefix of the chain including every block it acknowledged.
TEST_F(BlockStoreTest, WriterKilledMidStreamLeavesAnAcknowledgedPrefix) {
  const auto chain = make_chain(200, 4, 2000);
  int acks[2];
  ASSERT_EQ(::pipe(acks), 0);
  const pid_t writer = ::fork();
  ASSERT_GE(writer, 0);
  if (writer == 0) {
    ::close(acks[0]);
    // Synced appends are slow enough that the kill lands mid-stream.
    BlockStore store(blocks_dir(), index_dir(), BlockStoreOptions{100000, SyncPolicy::kEveryBlock});
    for (const auto& entry : chain) {
      if (!store.append(entry.block, entry.bytes).ok) ::_exit(2);
      const char ack = 'a';
      if (::write(acks[1], &ack, 1) != 1) ::_exit(3);
    }
    ::_exit(0);
  }
  ::close(acks[1]);
  int acknowledged = 0;
  char ack;
  while (acknowledged < 60 && ::read(acks[0], &ack, 1) == 1) ++acknowledged;
  ::kill(writer, SIGKILL);
  int status = 0;
  ::waitpid(writer, &status, 0);
  while (::read(acks[0], &ack, 1) == 1) ++acknowledged;  // acks sent before the kill
  ::close(acks[0]);
  ASSERT_GE(acknowledged, 60);

  const auto store = open(BlockStoreOptions{100000, SyncPolicy::kNone});
  ASSERT_GE(store->height(), static_cast<std::uint64_t>(acknowledged));
  expect_holds_prefix(*store, chain, store->height());
  std::cout << "killed after " << acknowledged << " acknowledged appends; height on reopen "
            << store->height() << ", " << store->recovery().truncated_bytes << " bytes cut\n";
  if (store->height() < chain.size()) append_all(*store, chain, store->height(), chain.size());
}

TEST(BlockStoreProviderTest, OpensOneStorePerChannelUnderTheRoot) {
  testing::ScratchFolder scratch;
  const auto chain = make_chain(2);
  {
    BlockStoreProvider provider(scratch.path(), kFast);
    auto& first = provider.open("alpha");
    EXPECT_EQ(&first, &provider.open("alpha"));
    ASSERT_TRUE(first.append(chain[0].block, chain[0].bytes).ok);
    EXPECT_EQ(provider.open("beta.2-x").height(), 0u);
    EXPECT_TRUE(std::filesystem::exists(scratch.path() / "chains" / "alpha" / "blockfile_000000"));
    EXPECT_TRUE(std::filesystem::is_directory(scratch.path() / "index" / "alpha"));
  }
  BlockStoreProvider provider(scratch.path(), kFast);
  EXPECT_EQ(provider.channels_on_disk(), (std::vector<std::string>{"alpha", "beta.2-x"}));
  EXPECT_EQ(provider.open("alpha").height(), 1u);
}

TEST(BlockStoreProviderTest, RefusesNamesThatAreNotFabricChannelNames) {
  testing::ScratchFolder scratch;
  BlockStoreProvider provider(scratch.path(), kFast);
  for (const std::string& name :
       std::vector<std::string>{"", "../x", "Upper", "a/b", "1abc", std::string(250, 'a')}) {
    EXPECT_THROW(provider.open(name), std::invalid_argument) << name;
  }
  EXPECT_TRUE(provider.channels_on_disk().empty());
}

}  // namespace
}  // namespace fabnet::ledger
