#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/common.pb.h"

namespace fabnet::state {

// Where a block came from, for counters and the live view.
enum class BlockSource { kDeliver, kPush, kPull, kStateTransfer };
const char* block_source_name(BlockSource source);

enum class BufferVerdict {
  kAccepted,
  kDuplicate,    // already waiting in the buffer
  kTooOld,       // below the ledger height: committed already
  kTooFarAhead,  // number − height ≥ capacity (protocol.md §10.2, blockBufferSize)
};
const char* buffer_verdict_name(BufferVerdict verdict);

struct BufferedBlock {
  std::uint64_t number = 0;
  std::shared_ptr<const std::string> bytes;  // the marshaled common.Block as received
  BlockSource source = BlockSource::kPush;
  // The same block parsed, when the holder verified it on the way in (parsed once).
  std::shared_ptr<const common::Block> block;
};

// Blocks that arrived ahead of the ledger wait here until it reaches them, so they
// are committed strictly in sequence (Fabric's state payload buffer). At most
// `capacity` blocks are held: one beyond height + capacity − 1 is refused, which
// bounds memory whatever peers send.
class PayloadBuffer {
 public:
  explicit PayloadBuffer(std::size_t capacity) : capacity_(capacity) {}

  BufferVerdict push(std::uint64_t ledger_height, BufferedBlock block);
  // Removes and returns the block numbered `ledger_height`, if it is held; blocks
  // below it (committed by another path meanwhile) are discarded on the way.
  std::optional<BufferedBlock> pop_next(std::uint64_t ledger_height);

  bool holds(std::uint64_t number) const { return blocks_.contains(number); }
  std::size_t size() const { return blocks_.size(); }
  std::size_t capacity() const { return capacity_; }
  // Highest number held, if any (how far ahead the org is, as this peer knows).
  std::optional<std::uint64_t> highest() const;

 private:
  std::size_t capacity_;
  std::map<std::uint64_t, BufferedBlock> blocks_;
};

}  // namespace fabnet::state
