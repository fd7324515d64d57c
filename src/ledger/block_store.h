#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/refusal_counts.h"

namespace leveldb {
class DB;
}

namespace fabnet::ledger {

// When an append reaches the disk.
enum class SyncPolicy {
  // fdatasync the block file(s) before a block counts as stored: durable on return from
  // append() or commit(). The LevelDB index is written without a sync either way: it
  // is derived from the files and caught up from them on open.
  kEveryBlock,
  kNone,  // leave the files to the OS: survives a process crash, not a power loss
};

struct BlockStoreOptions {
  // A block file is rolled when the next record would take it past this size (a record
  // larger than this gets a file of its own).
  std::uint64_t max_file_bytes = 64ull << 20;
  SyncPolicy sync = SyncPolicy::kEveryBlock;
};

// Opening failed: the message names the path and what was wrong with it.
class BlockStoreError : public std::runtime_error {
 public:
  BlockStoreError(const std::filesystem::path& path, const std::string& what);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// What opening repaired; all zero after a clean shutdown.
struct RecoveryReport {
  std::uint64_t truncated_bytes = 0;   // torn or corrupt tail cut from the block files
  std::uint64_t blocks_reindexed = 0;  // blocks found in the files beyond the index
  std::uint64_t blocks_dropped = 0;    // indexed blocks whose records were unreadable
  std::string detail;                  // one line per repair, empty when none
};

// The chain of one channel on disk. Blocks go to append-only files
// blockfile_000000, blockfile_000001, ... as records
//   [u32 little-endian length][u32 little-endian crc32(length bytes || block)][block bytes]
// and LevelDB at `index_dir` maps block number -> (file, offset, length) and keeps the
// height and the last header hash. The files are the truth; the index is derived from
// them, written after the files are synced but not synced itself, and caught up on open. One
// writer: a second open of the same index fails (LevelDB's lock). Reads may run on other threads
// while one thread appends.
class BlockStore final : public Ledger {
 public:
  // Opens or creates the store and repairs what a crash can leave: a torn or corrupt
  // tail record is truncated, an index lagging the files is caught up, index entries
  // pointing at unreadable records are dropped. Throws BlockStoreError.
  BlockStore(std::filesystem::path blocks_dir, std::filesystem::path index_dir,
             BlockStoreOptions options = {});
  ~BlockStore() override;
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  std::uint64_t height() const override;
  std::string last_header_hash() const override;
  // Throws BlockStoreError if the record on disk no longer matches its checksum.
  std::optional<std::string> block_bytes(std::uint64_t number) const override;
  std::optional<common::Block> block(std::uint64_t number) const override;
  // Refuses a block that does not chain (kWrongNumber, kBrokenHashChain, kMalformed) or
  // that could not be written (kStorageFailure); either way the store is unchanged.
  // After a failed sync every later append is refused: reopen to continue.
  AppendResult append(const common::Block& block, std::string_view bytes) override;
  // Group commit (Ledger::stage): stage() writes the record without a sync; commit()
  // syncs every file written since the last commit once, then indexes and publishes
  // the staged blocks. append() refuses while blocks are staged.
  AppendResult stage(const common::Block& block, std::string_view bytes) override;
  AppendResult commit() override;
  std::uint64_t staged_height() const override;
  std::string staged_last_header_hash() const override;

  // Test seam: `hook` runs in commit() (append() commits too) just before it syncs,
  // without the store's lock held. Set it before the store is shared with other threads.
  void set_before_sync(std::function<void()> hook) { before_sync_ = std::move(hook); }

  const RecoveryReport& recovery() const { return recovery_; }
  RefusalCounts refusals() const { return refusals_.snapshot(); }
  const std::filesystem::path& blocks_dir() const { return blocks_dir_; }

  struct Location {
    std::uint32_t file = 0;
    std::uint64_t offset = 0;  // of the record's first byte
    std::uint32_t length = 0;  // of the block bytes
  };

 private:
  std::filesystem::path file_path(std::uint32_t file) const;
  int file_descriptor(std::uint32_t file) const;
  std::optional<Location> location_of(std::uint64_t number) const;
  std::optional<std::string> read_record(const Location& location) const;
  void recover();
  void truncate_files(std::uint32_t file, std::uint64_t size);
  void open_current_file();
  AppendResult stage_block(const common::Block& block, std::string_view bytes);
  // What one commit makes durable: the first `count` staged blocks, which end at
  // (end_file, end_size), written to `files` (and a new file's directory entry).
  struct CommitPlan {
    std::size_t count = 0;
    std::set<std::uint32_t> files;
    bool directory_dirty = false;
    std::uint32_t end_file = 0;
    std::uint64_t end_size = 0;
  };
  CommitPlan plan_commit();
  AppendResult sync(const CommitPlan& plan) const;
  AppendResult publish(const CommitPlan& plan);
  void drop_staged();

  std::filesystem::path blocks_dir_;
  std::filesystem::path index_dir_;
  BlockStoreOptions options_;
  std::unique_ptr<leveldb::DB> index_;

  std::mutex commit_mutex_;          // one commit() at a time (its sync runs without mutex_)
  mutable std::shared_mutex mutex_;  // guards the chain state below (height_ is also read bare)
  std::atomic<std::uint64_t> height_ = 0;
  std::string last_header_hash_;
  std::uint32_t current_file_ = 0;  // where the next record goes (after staged ones)
  std::uint64_t current_size_ = 0;
  int current_fd_ = -1;
  std::uint32_t committed_file_ = 0;  // where the last committed record ends
  std::uint64_t committed_size_ = 0;
  struct Staged {
    Location at;
    std::string hash;  // of the block's header
  };
  std::vector<Staged> staged_;  // written, not yet synced nor visible
  std::set<std::uint32_t> unsynced_files_;
  bool directory_dirty_ = false;  // a block file was created since the last commit
  bool failed_ = false;

  mutable std::mutex descriptors_mutex_;  // read descriptors, opened on first read
  mutable std::map<std::uint32_t, int> read_descriptors_;

  RecoveryReport recovery_;
  RefusalCounter refusals_;
  std::function<void()> before_sync_;
};

// One BlockStore per channel under a root folder: block files in <root>/chains/<channel>/,
// the index in <root>/index/<channel>/ (Fabric's FileLedger.Location keeps the same split).
class BlockStoreProvider {
 public:
  explicit BlockStoreProvider(std::filesystem::path root, BlockStoreOptions options = {});

  // The channel's store, opened (and recovered) on first use. Throws BlockStoreError,
  // or std::invalid_argument for a name that is not a Fabric channel name.
  BlockStore& open(const std::string& channel);
  // Channels that have block files under the root, sorted.
  std::vector<std::string> channels_on_disk() const;

  // Fabric's rule: [a-z][a-z0-9.-]*, shorter than 250 characters.
  static bool valid_channel_name(std::string_view channel);

 private:
  std::filesystem::path root_;
  BlockStoreOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<BlockStore>> stores_;
};

}  // namespace fabnet::ledger
