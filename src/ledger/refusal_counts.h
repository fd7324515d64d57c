#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "ledger/ledger.h"

namespace fabnet::ledger {

inline constexpr std::size_t kRefusalReasonCount =
    static_cast<std::size_t>(RefusalReason::kStorageFailure) + 1;

// Refused blocks by reason, as a plain snapshot the node and daemon turn into metrics.
struct RefusalCounts {
  std::array<std::uint64_t, kRefusalReasonCount> by_reason{};

  std::uint64_t operator[](RefusalReason reason) const {
    return by_reason[static_cast<std::size_t>(reason)];
  }
  std::uint64_t total() const {
    std::uint64_t sum = 0;
    for (auto count : by_reason) sum += count;
    return sum;
  }
};

// Counts refusals; safe to bump from several threads (a verifier serves gossip and deliver).
class RefusalCounter {
 public:
  void add(RefusalReason reason) {
    counts_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
  RefusalCounts snapshot() const {
    RefusalCounts out;
    for (std::size_t i = 0; i < kRefusalReasonCount; ++i) {
      out.by_reason[i] = counts_[i].load(std::memory_order_relaxed);
    }
    return out;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kRefusalReasonCount> counts_{};
};

}  // namespace fabnet::ledger
