#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "gossip/drop_reason.h"
#include "gossip/peer_id.h"
#include "runtime/scheduler.h"

namespace fabnet::gossip {

// Which rejections earn a log line: the first per (peer, reason) in each
// interval. A flood from one peer costs one line per interval, and that line
// says how many were held back. Time is the caller's (the scheduler's), so the
// limiter is as deterministic as the node that owns it.
class RejectionLimiter {
 public:
  // `max_tracked` bounds the memory a flood of distinct peers can take.
  explicit RejectionLimiter(runtime::Duration interval, std::size_t max_tracked = 4096)
      : interval_(interval), max_tracked_(max_tracked) {}

  // nullopt: suppressed (counted). Otherwise report it, with the number of
  // rejections of this (peer, reason) suppressed since the last report.
  std::optional<std::uint64_t> admit(const PeerId& peer, DropReason reason,
                                     runtime::TimePoint now) {
    auto it = slots_.find(std::pair(peer, reason));
    if (it != slots_.end()) {
      Slot& slot = it->second;
      if (now - slot.reported_at < interval_) {
        ++slot.suppressed;
        return std::nullopt;
      }
      const std::uint64_t suppressed = slot.suppressed;
      slot = Slot{now, 0};
      return suppressed;
    }
    if (slots_.size() >= max_tracked_) {
      std::erase_if(slots_, [&](const auto& s) { return now - s.second.reported_at >= interval_; });
      // Still full: every tracked pair spoke within the interval; this one only counts.
      if (slots_.size() >= max_tracked_) return std::nullopt;
    }
    slots_.emplace(std::pair(peer, reason), Slot{now, 0});
    return 0;
  }
  std::size_t tracked() const { return slots_.size(); }

 private:
  struct Slot {
    runtime::TimePoint reported_at{0};
    std::uint64_t suppressed = 0;
  };
  runtime::Duration interval_;
  std::size_t max_tracked_;
  std::map<std::pair<PeerId, DropReason>, Slot> slots_;
};

}  // namespace fabnet::gossip
