#include "state/payload_buffer.h"

namespace fabnet::state {

const char* block_source_name(BlockSource source) {
  switch (source) {
    case BlockSource::kDeliver:
      return "deliver";
    case BlockSource::kPush:
      return "push";
    case BlockSource::kPull:
      return "pull";
    case BlockSource::kStateTransfer:
      return "state_transfer";
  }
  return "unknown";
}

const char* buffer_verdict_name(BufferVerdict verdict) {
  switch (verdict) {
    case BufferVerdict::kAccepted:
      return "accepted";
    case BufferVerdict::kDuplicate:
      return "duplicate_block";
    case BufferVerdict::kTooOld:
      return "block_too_old";
    case BufferVerdict::kTooFarAhead:
      return "block_too_far_ahead";
  }
  return "unknown";
}

BufferVerdict PayloadBuffer::push(std::uint64_t ledger_height, BufferedBlock block) {
  if (block.number < ledger_height) return BufferVerdict::kTooOld;
  if (block.number - ledger_height >= capacity_) return BufferVerdict::kTooFarAhead;
  const std::uint64_t number = block.number;
  const bool inserted = blocks_.try_emplace(number, std::move(block)).second;
  return inserted ? BufferVerdict::kAccepted : BufferVerdict::kDuplicate;
}

std::optional<BufferedBlock> PayloadBuffer::pop_next(std::uint64_t ledger_height) {
  blocks_.erase(blocks_.begin(), blocks_.lower_bound(ledger_height));
  auto it = blocks_.find(ledger_height);
  if (it == blocks_.end()) return std::nullopt;
  BufferedBlock block = std::move(it->second);
  blocks_.erase(it);
  return block;
}

std::optional<std::uint64_t> PayloadBuffer::highest() const {
  if (blocks_.empty()) return std::nullopt;
  return blocks_.rbegin()->first;
}

}  // namespace fabnet::state
