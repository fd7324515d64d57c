#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/refusal_counts.h"

namespace fabnet::ledger {

// The chain held in memory, for the simulator and unit tests. Keeps each block's bytes
// exactly as given; checks number and hash chain on append (not signatures: that is
// BlockVerifier's job). Safe to read from several threads while one appends.
class MemoryLedger final : public Ledger {
 public:
  std::uint64_t height() const override;
  std::string last_header_hash() const override;
  std::optional<std::string> block_bytes(std::uint64_t number) const override;
  std::optional<common::Block> block(std::uint64_t number) const override;
  AppendResult append(const common::Block& block, std::string_view bytes) override;

  RefusalCounts refusals() const { return refusals_.snapshot(); }

 private:
  mutable std::shared_mutex mutex_;
  std::vector<std::string> blocks_;
  std::string last_header_hash_;
  RefusalCounter refusals_;
};

}  // namespace fabnet::ledger
