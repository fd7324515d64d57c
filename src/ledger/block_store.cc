#include "ledger/block_store.h"

#include <fcntl.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "ledger/block_hash.h"
#include "ledger/chain.h"

namespace fabnet::ledger {
namespace {

// Record integrity uses zlib's crc32: the threat is a torn write or a flipped bit, not an
// adversary (who could rewrite the index too), and crc32 runs at memory speed where a
// SHA-256 per block would cost as much as the block's own hashing. LevelDB's crc32c is
// not part of its public API.
constexpr std::size_t kRecordHeaderBytes = 8;
constexpr std::uint64_t kMaxBlockBytes = 0xffffffffu;

// Index keys. Block keys sort by number (big-endian), so a range delete is one scan.
constexpr std::string_view kBlockKeyPrefix = "block/";
constexpr std::string_view kHeightKey = "height";
constexpr std::string_view kLastHashKey = "last_header_hash";

std::string block_key(std::uint64_t number) {
  std::string key(kBlockKeyPrefix);
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((number >> shift) & 0xff));
  }
  return key;
}

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
  }
  return value;
}

std::string encode_location(const BlockStore::Location& location) {
  std::string out;
  put_le(out, location.file, 4);
  put_le(out, location.offset, 8);
  put_le(out, location.length, 4);
  return out;
}

std::optional<BlockStore::Location> decode_location(std::string_view value) {
  if (value.size() != 16) return std::nullopt;
  return BlockStore::Location{static_cast<std::uint32_t>(get_le(value, 0, 4)), get_le(value, 4, 8),
                              static_cast<std::uint32_t>(get_le(value, 12, 4))};
}

std::string encode_height(std::uint64_t height) {
  std::string out;
  put_le(out, height, 8);
  return out;
}

std::uint32_t record_checksum(std::string_view length_bytes, std::string_view block) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(length_bytes.data()),
              static_cast<uInt>(length_bytes.size()));
  // zlib takes uInt lengths; feed large blocks in pieces.
  for (std::size_t done = 0; done < block.size();) {
    const auto piece = std::min<std::size_t>(block.size() - done, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(block.data() + done), static_cast<uInt>(piece));
    done += piece;
  }
  return static_cast<std::uint32_t>(crc);
}

std::string record_header(std::string_view block) {
  std::string header;
  put_le(header, block.size(), 4);
  put_le(header, record_checksum(header, block), 4);
  return header;
}

std::string errno_text() {
  return std::strerror(errno);
}

bool write_all(int fd, std::string_view bytes, std::uint64_t offset) {
  while (!bytes.empty()) {
    const auto written = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
    offset += static_cast<std::uint64_t>(written);
  }
  return true;
}

// A record's header and body in one system call where the kernel takes them whole
// (the usual case); what a short write leaves goes out piece by piece.
bool write_record(int fd, std::string_view header, std::string_view body, std::uint64_t offset) {
  iovec parts[2] = {{const_cast<char*>(header.data()), header.size()},
                    {const_cast<char*>(body.data()), body.size()}};
  ssize_t written = -1;
  do {
    written = ::pwritev(fd, parts, 2, static_cast<off_t>(offset));
  } while (written < 0 && errno == EINTR);
  if (written < 0) return false;
  auto done = static_cast<std::size_t>(written);
  const std::size_t from_header = std::min(done, header.size());
  header.remove_prefix(from_header);
  body.remove_prefix(std::min(done - from_header, body.size()));
  offset += done;
  return write_all(fd, header, offset) && write_all(fd, body, offset + header.size());
}

// Reads exactly `size` bytes, or fewer at end of file.
std::string read_at(int fd, std::uint64_t offset, std::size_t size) {
  std::string out(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    const auto got = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    done += static_cast<std::size_t>(got);
  }
  out.resize(done);
  return out;
}

void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw BlockStoreError(dir, "cannot open folder to sync it: " + errno_text());
  const bool ok = ::fsync(fd) == 0;
  const auto error = errno_text();
  ::close(fd);
  if (!ok) throw BlockStoreError(dir, "fsync of folder failed: " + error);
}

std::uint64_t file_size_or_zero(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

}  // namespace

BlockStoreError::BlockStoreError(const std::filesystem::path& path, const std::string& what)
    : std::runtime_error(fmt::format("block store {}: {}", path.string(), what)), path_(path) {}

BlockStore::BlockStore(std::filesystem::path blocks_dir, std::filesystem::path index_dir,
                       BlockStoreOptions options)
    : blocks_dir_(std::move(blocks_dir)), index_dir_(std::move(index_dir)), options_(options) {
  for (const auto& dir : {blocks_dir_, index_dir_.parent_path()}) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw BlockStoreError(dir, "cannot create folder: " + error.message());
  }
  leveldb::Options index_options;
  index_options.create_if_missing = true;
  index_options.paranoid_checks = true;
  leveldb::DB* db = nullptr;
  const auto status = leveldb::DB::Open(index_options, index_dir_.string(), &db);
  if (!status.ok()) {
    throw BlockStoreError(
        index_dir_,
        "cannot open the LevelDB index (" + status.ToString() +
            (status.IsCorruption() ? "); it is derived from the block files: remove the folder "
                                     "to rebuild it"
                                   : ")"));
  }
  index_.reset(db);
  recover();
  open_current_file();
}

BlockStore::~BlockStore() {
  for (const auto& [file, fd] : read_descriptors_) {
    if (fd != current_fd_) ::close(fd);
  }
  if (current_fd_ >= 0) ::close(current_fd_);
}

std::filesystem::path BlockStore::file_path(std::uint32_t file) const {
  return blocks_dir_ / fmt::format("blockfile_{:06}", file);
}

int BlockStore::file_descriptor(std::uint32_t file) const {
  std::lock_guard lock(descriptors_mutex_);
  if (auto found = read_descriptors_.find(file); found != read_descriptors_.end()) {
    return found->second;
  }
  const int fd = ::open(file_path(file).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  read_descriptors_.emplace(file, fd);
  return fd;
}

std::optional<BlockStore::Location> BlockStore::location_of(std::uint64_t number) const {
  std::string value;
  if (!index_->Get(leveldb::ReadOptions(), block_key(number), &value).ok()) return std::nullopt;
  return decode_location(value);
}

// The block bytes of the record at `location` if its length and checksum hold.
std::optional<std::string> BlockStore::read_record(const Location& location) const {
  const int fd = file_descriptor(location.file);
  if (fd < 0) return std::nullopt;
  const auto header = read_at(fd, location.offset, kRecordHeaderBytes);
  if (header.size() != kRecordHeaderBytes || get_le(header, 0, 4) != location.length) {
    return std::nullopt;
  }
  auto block = read_at(fd, location.offset + kRecordHeaderBytes, location.length);
  if (block.size() != location.length ||
      get_le(header, 4, 4) != record_checksum(std::string_view(header).substr(0, 4), block)) {
    return std::nullopt;
  }
  return block;
}

void BlockStore::recover() {
  // The index's view: height, last hash, and where its last block ends.
  std::string value;
  auto status = index_->Get(leveldb::ReadOptions(), std::string(kHeightKey), &value);
  if (status.ok()) {
    if (value.size() != 8) throw BlockStoreError(index_dir_, "index height is not 8 bytes");
    height_ = get_le(value, 0, 8);
    if (!index_->Get(leveldb::ReadOptions(), std::string(kLastHashKey), &last_header_hash_).ok() &&
        height_ > 0) {
      throw BlockStoreError(index_dir_, "index has a height but no last header hash");
    }
  } else if (!status.IsNotFound()) {
    throw BlockStoreError(index_dir_, "cannot read the index: " + status.ToString());
  }

  // Block files must run 0..N without a gap.
  std::uint32_t file_count = 0;
  while (std::filesystem::exists(file_path(file_count))) ++file_count;
  for (const auto& entry : std::filesystem::directory_iterator(blocks_dir_)) {
    const auto name = entry.path().filename().string();
    unsigned number = 0;
    if (std::sscanf(name.c_str(), "blockfile_%u", &number) == 1 && number >= file_count) {
      throw BlockStoreError(entry.path(), fmt::format("block file after a gap: {} is missing",
                                                      file_path(file_count).string()));
    }
  }

  // No files at all under a non-empty index is a wrong or wiped folder, not a crash.
  if (height_ > 0 && file_count == 0) {
    throw BlockStoreError(blocks_dir_, fmt::format("the index at {} records {} block(s) but there "
                                                   "are no block files",
                                                   index_dir_.string(), height_.load()));
  }

  leveldb::WriteBatch batch;
  const std::uint64_t indexed_height = height_;
  std::uint32_t file = 0;
  std::uint64_t offset = 0;

  // Walk back from the index's last block to the last one whose record still reads
  // back whole: after an unsynced crash, or a damaged disk, the index may point past
  // what the files kept.
  while (height_ > 0) {
    const auto location = location_of(height_ - 1);
    std::optional<std::string> bytes;
    common::Block block;
    if (location && location->file < file_count) bytes = read_record(*location);
    if (bytes && block.ParseFromString(*bytes) && block.has_header() &&
        block.header().number() == height_ - 1 &&
        (height_ != indexed_height || header_hash(block.header()) == last_header_hash_)) {
      last_header_hash_ = header_hash(block.header());
      file = location->file;
      offset = location->offset + kRecordHeaderBytes + location->length;
      break;
    }
    --height_;
    batch.Delete(block_key(height_));
    recovery_.blocks_dropped++;
  }
  if (height_ == 0) last_header_hash_.clear();
  if (recovery_.blocks_dropped > 0) {
    recovery_.detail +=
        fmt::format("index pointed at {} unreadable block(s); the chain now ends at height {}\n",
                    recovery_.blocks_dropped, height_.load());
  }

  // Catch the index up with whole, chaining records beyond it; cut the first bad one and
  // everything after it (a torn append, or one that never reached the index).
  while (file < file_count) {
    const int fd = file_descriptor(file);
    if (fd < 0) throw BlockStoreError(file_path(file), "cannot open: " + errno_text());
    const auto size = file_size_or_zero(file_path(file));
    if (offset == size) {
      if (file + 1 == file_count) break;
      ++file;
      offset = 0;
      continue;
    }
    const auto header = read_at(fd, offset, kRecordHeaderBytes);
    std::string problem;
    common::Block block;
    std::uint32_t length = 0;
    if (header.size() < kRecordHeaderBytes) {
      problem = "partial record header";
    } else {
      length = static_cast<std::uint32_t>(get_le(header, 0, 4));
      if (length > size - offset - kRecordHeaderBytes) {
        problem = fmt::format("record of {} bytes runs past the end of the file", length);
      } else {
        const auto bytes = read_at(fd, offset + kRecordHeaderBytes, length);
        if (get_le(header, 4, 4) != record_checksum(std::string_view(header).substr(0, 4), bytes)) {
          problem = "checksum mismatch";
        } else if (!block.ParseFromString(bytes)) {
          problem = "record is not a common.Block";
        } else if (auto link = check_chain_link(block, height_, last_header_hash_); !link.ok) {
          problem = link.detail;
        }
      }
    }
    if (!problem.empty()) {
      std::uint64_t cut = size - offset;
      for (auto later = file + 1; later < file_count; ++later)
        cut += file_size_or_zero(file_path(later));
      recovery_.truncated_bytes += cut;
      recovery_.detail += fmt::format("{} at offset {}: {}; cut {} byte(s)\n",
                                      file_path(file).string(), offset, problem, cut);
      truncate_files(file, offset);
      break;
    }
    batch.Put(block_key(height_), encode_location(Location{file, offset, length}));
    last_header_hash_ = header_hash(block.header());
    ++height_;
    ++recovery_.blocks_reindexed;
    offset += kRecordHeaderBytes + length;
  }
  if (recovery_.blocks_reindexed > 0) {
    recovery_.detail += fmt::format("index caught up by {} block(s) from the block files\n",
                                    recovery_.blocks_reindexed);
  }

  current_file_ = committed_file_ = file;
  current_size_ = committed_size_ = offset;
  // Also when the height came out the same: dropped entries may have been re-read from
  // the files at other places, or the last hash corrected.
  if (recovery_.blocks_dropped > 0 || recovery_.blocks_reindexed > 0 || !status.ok()) {
    batch.Put(std::string(kHeightKey), encode_height(height_));
    batch.Put(std::string(kLastHashKey), last_header_hash_);
    leveldb::WriteOptions sync_write;
    sync_write.sync = true;
    if (auto written = index_->Write(sync_write, &batch); !written.ok()) {
      throw BlockStoreError(index_dir_, "cannot write the recovered index: " + written.ToString());
    }
  }
}

// Cuts `file` to `size` bytes and removes every later file; synced, since the index is
// about to describe the result.
void BlockStore::truncate_files(std::uint32_t file, std::uint64_t size) {
  {
    std::lock_guard lock(descriptors_mutex_);
    for (const auto& [number, fd] : read_descriptors_) ::close(fd);
    read_descriptors_.clear();
  }
  const auto path = file_path(file);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw BlockStoreError(path, "cannot open to truncate: " + errno_text());
  const bool ok = ::ftruncate(fd, static_cast<off_t>(size)) == 0 && ::fsync(fd) == 0;
  const auto error = errno_text();
  ::close(fd);
  if (!ok) throw BlockStoreError(path, "cannot truncate a torn tail: " + error);
  for (auto later = file + 1; std::filesystem::exists(file_path(later)); ++later) {
    std::error_code removed;
    std::filesystem::remove(file_path(later), removed);
    if (removed) throw BlockStoreError(file_path(later), "cannot remove: " + removed.message());
  }
  sync_directory(blocks_dir_);
}

void BlockStore::open_current_file() {
  const auto path = file_path(current_file_);
  const bool created = !std::filesystem::exists(path);
  current_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (current_fd_ < 0) throw BlockStoreError(path, "cannot open for writing: " + errno_text());
  if (created) sync_directory(blocks_dir_);
  std::lock_guard lock(descriptors_mutex_);
  if (auto found = read_descriptors_.find(current_file_); found != read_descriptors_.end()) {
    ::close(found->second);
  }
  read_descriptors_[current_file_] = current_fd_;
}

std::uint64_t BlockStore::height() const {
  return height_.load(std::memory_order_acquire);
}

std::string BlockStore::last_header_hash() const {
  std::shared_lock lock(mutex_);
  return last_header_hash_;
}

std::optional<std::string> BlockStore::block_bytes(std::uint64_t number) const {
  // Records below the height never change, so only the height needs the lock; a read
  // does not wait for an append's fsync.
  if (number >= height()) return std::nullopt;
  const auto location = location_of(number);
  if (!location) {
    throw BlockStoreError(
        index_dir_, fmt::format("no index entry for block {} below height {}", number, height()));
  }
  auto bytes = read_record(*location);
  if (!bytes) {
    throw BlockStoreError(
        file_path(location->file),
        fmt::format("block {} at offset {} does not match its checksum", number, location->offset));
  }
  return bytes;
}

std::optional<common::Block> BlockStore::block(std::uint64_t number) const {
  auto bytes = block_bytes(number);
  if (!bytes) return std::nullopt;
  common::Block parsed;
  if (!parsed.ParseFromString(*bytes)) return std::nullopt;
  return parsed;
}

AppendResult BlockStore::append(const common::Block& block, std::string_view bytes) {
  {
    std::unique_lock lock(mutex_);
    if (!staged_.empty()) {
      // One writer uses one mode; mixing would make this block wait on others' sync.
      return refused(RefusalReason::kStorageFailure, "append() while staged blocks await commit()");
    }
    auto result = stage_block(block, bytes);
    if (!result.ok) {
      refusals_.add(result.reason);
      return result;
    }
  }
  return commit();  // this block alone: the writer stages nothing else meanwhile
}

AppendResult BlockStore::stage(const common::Block& block, std::string_view bytes) {
  std::unique_lock lock(mutex_);
  auto result = stage_block(block, bytes);
  if (!result.ok) refusals_.add(result.reason);
  return result;
}

AppendResult BlockStore::commit() {
  // The sync runs without mutex_: the writer stages the next blocks meanwhile, and
  // readers of the chain state (staged_last_header_hash, on a peer's event loop) never
  // wait for the disk. Blocks staged during the sync wait for the next commit.
  std::lock_guard one_at_a_time(commit_mutex_);
  AppendResult result = accepted();
  CommitPlan plan;
  {
    std::unique_lock lock(mutex_);
    if (staged_.empty()) return accepted();
    if (failed_) {
      result = refused(RefusalReason::kStorageFailure,
                       "an earlier write failed to reach the disk; reopen the store");
    } else {
      plan = plan_commit();
    }
  }
  if (result.ok) {
    if (before_sync_) before_sync_();
    result = sync(plan);
    std::unique_lock lock(mutex_);
    if (!result.ok) {
      // After a failed fdatasync the kernel may have dropped the dirty pages: the file's
      // state is unknown, so no further append is trusted until a reopen re-reads it.
      drop_staged();
      failed_ = true;
    } else {
      result = publish(plan);
    }
  }
  if (!result.ok) refusals_.add(result.reason);
  return result;
}

std::uint64_t BlockStore::staged_height() const {
  std::shared_lock lock(mutex_);
  return height_ + staged_.size();
}

std::string BlockStore::staged_last_header_hash() const {
  std::shared_lock lock(mutex_);
  return staged_.empty() ? last_header_hash_ : staged_.back().hash;
}

AppendResult BlockStore::stage_block(const common::Block& block, std::string_view bytes) {
  if (failed_) {
    return refused(RefusalReason::kStorageFailure,
                   "an earlier write failed to reach the disk; reopen the store");
  }
  const std::uint64_t next = height_ + staged_.size();
  if (auto link =
          check_chain_link(block, next, staged_.empty() ? last_header_hash_ : staged_.back().hash);
      !link.ok) {
    return link;
  }
  if (bytes.size() > kMaxBlockBytes) {
    return refused(RefusalReason::kMalformed,
                   fmt::format("block of {} bytes exceeds the 4 GiB record limit", bytes.size()));
  }
  const auto record_bytes = kRecordHeaderBytes + bytes.size();

  if (current_size_ > 0 && current_size_ + record_bytes > options_.max_file_bytes) {
    const int next_fd =
        ::open(file_path(current_file_ + 1).c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (next_fd < 0) {
      return refused(
          RefusalReason::kStorageFailure,
          fmt::format("cannot create {}: {}", file_path(current_file_ + 1).string(), errno_text()));
    }
    ++current_file_;
    current_size_ = 0;
    current_fd_ = next_fd;
    {
      std::lock_guard descriptors(descriptors_mutex_);
      if (auto found = read_descriptors_.find(current_file_); found != read_descriptors_.end()) {
        ::close(found->second);
      }
      read_descriptors_[current_file_] = current_fd_;
    }
    directory_dirty_ = true;
  }

  const auto path = file_path(current_file_);
  if (!write_record(current_fd_, record_header(bytes), bytes, current_size_)) {
    const auto error = errno_text();
    (void)::ftruncate(current_fd_, static_cast<off_t>(current_size_));
    return refused(RefusalReason::kStorageFailure,
                   fmt::format("write to {} failed: {}", path.string(), error));
  }
  staged_.push_back(
      {Location{current_file_, current_size_, static_cast<std::uint32_t>(bytes.size())},
       header_hash(block.header())});
  unsynced_files_.insert(current_file_);
  current_size_ += record_bytes;
  return accepted();
}

// Puts the write position back where the last committed block ends: the staged records
// are cut (best effort: the store is marked failed anyway, and a reopen re-reads the
// files).
void BlockStore::drop_staged() {
  const std::uint32_t last = current_file_;
  (void)::ftruncate(file_descriptor(committed_file_), static_cast<off_t>(committed_size_));
  for (auto later = committed_file_ + 1; later <= last; ++later) {
    std::error_code ignored;
    std::filesystem::remove(file_path(later), ignored);
  }
  current_file_ = committed_file_;
  current_size_ = committed_size_;
  current_fd_ = file_descriptor(committed_file_);
  staged_.clear();
  unsynced_files_.clear();
}

BlockStore::CommitPlan BlockStore::plan_commit() {
  CommitPlan plan{staged_.size(), {}, directory_dirty_, current_file_, current_size_};
  plan.files.swap(unsynced_files_);
  directory_dirty_ = false;
  return plan;
}

AppendResult BlockStore::sync(const CommitPlan& plan) const {
  if (options_.sync != SyncPolicy::kEveryBlock) return accepted();
  for (const std::uint32_t file : plan.files) {
    if (::fdatasync(file_descriptor(file)) != 0) {
      const auto error = errno_text();
      return refused(RefusalReason::kStorageFailure,
                     fmt::format("fdatasync of {} failed: {}", file_path(file).string(), error));
    }
  }
  if (plan.directory_dirty) {
    try {
      sync_directory(blocks_dir_);
    } catch (const BlockStoreError& error) {
      return refused(RefusalReason::kStorageFailure, error.what());
    }
  }
  return accepted();
}

AppendResult BlockStore::publish(const CommitPlan& plan) {
  // The index is not synced: the block files are the truth, and opening the store
  // re-indexes whole records beyond what the index holds. A crash can only make the
  // index lag, since it is written after the files are durable.
  leveldb::WriteBatch batch;
  std::uint64_t number = height_;
  for (std::size_t i = 0; i < plan.count; ++i) {
    batch.Put(block_key(number++), encode_location(staged_[i].at));
  }
  batch.Put(std::string(kHeightKey), encode_height(number));
  batch.Put(std::string(kLastHashKey), staged_[plan.count - 1].hash);
  if (auto status = index_->Write(leveldb::WriteOptions(), &batch); !status.ok()) {
    drop_staged();
    failed_ = true;
    return refused(
        RefusalReason::kStorageFailure,
        fmt::format("index write to {} failed: {}", index_dir_.string(), status.ToString()));
  }
  last_header_hash_ = staged_[plan.count - 1].hash;
  committed_file_ = plan.end_file;
  committed_size_ = plan.end_size;
  staged_.erase(staged_.begin(), staged_.begin() + static_cast<std::ptrdiff_t>(plan.count));
  // Published last: a reader that sees the new height finds its index entry.
  height_.store(number, std::memory_order_release);
  return accepted();
}

BlockStoreProvider::BlockStoreProvider(std::filesystem::path root, BlockStoreOptions options)
    : root_(std::move(root)), options_(options) {}

bool BlockStoreProvider::valid_channel_name(std::string_view channel) {
  if (channel.empty() || channel.size() >= 250 || channel[0] < 'a' || channel[0] > 'z') {
    return false;
  }
  return std::all_of(channel.begin(), channel.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  });
}

BlockStore& BlockStoreProvider::open(const std::string& channel) {
  if (!valid_channel_name(channel)) {
    throw std::invalid_argument(fmt::format(
        "channel name '{}' is not [a-z][a-z0-9.-]* of fewer than 250 characters", channel));
  }
  std::lock_guard lock(mutex_);
  auto& store = stores_[channel];
  if (!store) {
    try {
      store = std::make_unique<BlockStore>(root_ / "chains" / channel, root_ / "index" / channel,
                                           options_);
    } catch (...) {
      stores_.erase(channel);
      throw;
    }
  }
  return *store;
}

std::vector<std::string> BlockStoreProvider::channels_on_disk() const {
  std::vector<std::string> channels;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(root_ / "chains", error)) {
    const auto name = entry.path().filename().string();
    if (entry.is_directory() && valid_channel_name(name)) channels.push_back(name);
  }
  std::sort(channels.begin(), channels.end());
  return channels;
}

}  // namespace fabnet::ledger
