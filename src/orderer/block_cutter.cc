#include "orderer/block_cutter.h"

#include <utility>

namespace fabnet::orderer {

BlockCutter::BlockCutter(const config::BatchSettings& settings, runtime::Scheduler& scheduler,
                         CutHandler on_cut)
    : settings_(settings), on_cut_(std::move(on_cut)), timer_(scheduler) {}

void BlockCutter::add(PendingEnvelope envelope) {
  const std::uint64_t size = envelope.bytes.size();
  if (size > settings_.preferred_max_bytes) {
    // Fabric's rule: what is pending goes first, then the large one alone.
    cut_now();
    pending_.push_back(std::move(envelope));
    pending_bytes_ = size;
    cut();
    return;
  }
  if (!pending_.empty() && pending_bytes_ + size > settings_.preferred_max_bytes) cut();
  pending_.push_back(std::move(envelope));
  pending_bytes_ += size;
  if (pending_.size() >= settings_.max_message_count) {
    cut();
    return;
  }
  if (!timer_.armed()) timer_.arm(settings_.batch_timeout, [this] { cut_now(); });
}

void BlockCutter::cut_now() {
  if (!pending_.empty()) cut();
}

void BlockCutter::cut() {
  timer_.cancel();
  Batch batch = std::move(pending_);
  pending_.clear();
  pending_bytes_ = 0;
  on_cut_(std::move(batch));
}

}  // namespace fabnet::orderer
