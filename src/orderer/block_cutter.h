#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/network_config.h"  // BatchSettings
#include "runtime/scheduler.h"

namespace fabnet::orderer {

// One envelope waiting for a block: its bytes as received and the ticket the
// caller acknowledges it by once the block is durable.
struct PendingEnvelope {
  std::string bytes;
  std::uint64_t ticket = 0;
};
using Batch = std::vector<PendingEnvelope>;

// Fabric's block cutter for one channel, in arrival order. A batch is cut when it
// holds MaxMessageCount envelopes, before an envelope that would take it past
// PreferredMaxBytes (an envelope larger than PreferredMaxBytes alone is a batch of
// its own), or BatchTimeout after its first envelope arrived. AbsoluteMaxBytes is
// the validator's business. Runs on the scheduler's thread; `on_cut` is called
// synchronously from add() or from the timer.
class BlockCutter {
 public:
  using CutHandler = std::function<void(Batch)>;

  BlockCutter(const config::BatchSettings& settings, runtime::Scheduler& scheduler,
              CutHandler on_cut);

  void add(PendingEnvelope envelope);
  // Cuts what is pending now, if anything (e.g. at shutdown).
  void cut_now();

  std::size_t pending_count() const { return pending_.size(); }
  std::uint64_t pending_bytes() const { return pending_bytes_; }

 private:
  void cut();

  config::BatchSettings settings_;
  CutHandler on_cut_;
  Batch pending_;
  std::uint64_t pending_bytes_ = 0;
  runtime::Timer timer_;
};

}  // namespace fabnet::orderer
