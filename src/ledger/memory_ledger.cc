#include "ledger/memory_ledger.h"

#include "ledger/block_hash.h"
#include "ledger/chain.h"

namespace fabnet::ledger {

std::uint64_t MemoryLedger::height() const {
  std::shared_lock lock(mutex_);
  return blocks_.size();
}

std::string MemoryLedger::last_header_hash() const {
  std::shared_lock lock(mutex_);
  return last_header_hash_;
}

std::optional<std::string> MemoryLedger::block_bytes(std::uint64_t number) const {
  std::shared_lock lock(mutex_);
  if (number >= blocks_.size()) return std::nullopt;
  return blocks_[number];
}

std::optional<common::Block> MemoryLedger::block(std::uint64_t number) const {
  auto bytes = block_bytes(number);
  if (!bytes) return std::nullopt;
  common::Block parsed;
  if (!parsed.ParseFromString(*bytes)) return std::nullopt;
  return parsed;
}

AppendResult MemoryLedger::append(const common::Block& block, std::string_view bytes) {
  std::unique_lock lock(mutex_);
  auto link = check_chain_link(block, blocks_.size(), last_header_hash_);
  if (!link.ok) {
    refusals_.add(link.reason);
    return link;
  }
  // Hash before changing anything, so a throw leaves the ledger as it was.
  auto hash = header_hash(block.header());
  blocks_.emplace_back(bytes);
  last_header_hash_ = std::move(hash);
  return accepted();
}

}  // namespace fabnet::ledger
