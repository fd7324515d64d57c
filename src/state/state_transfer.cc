#include "state/state_transfer.h"

#include <algorithm>

namespace fabnet::state {

StateTransfer::StateTransfer(std::string channel, StateTransferSettings settings,
                             runtime::Scheduler& scheduler, StateHost& host)
    : channel_(std::move(channel)),
      settings_(settings),
      scheduler_(scheduler),
      host_(host),
      check_timer_(scheduler),
      response_timer_(scheduler),
      gap_timer_(scheduler) {}

void StateTransfer::start() {
  if (running_ || !settings_.enabled) return;
  running_ = true;
  check_timer_.arm(settings_.check_interval, [this] { check(); });
}

void StateTransfer::stop() {
  running_ = false;
  check_timer_.cancel();
  response_timer_.cancel();
  gap_timer_.cancel();
  outstanding_.reset();
  gap_.reset();
}

void StateTransfer::check_now() {
  if (!running_ || outstanding_) return;
  check_timer_.cancel();
  check();
}

bool StateTransfer::fetch_gap(const PeerId& peer, std::uint64_t start, std::uint64_t end,
                              runtime::Duration timeout) {
  if (!running_ || gap_ || end < start) return false;
  end = std::min(end, start + settings_.batch_size - 1);
  gap_ = Outstanding{peer, host_.new_nonce(), start, end, 0};
  send_request(*gap_);
  ++counters_.gap_requests;
  gap_timer_.arm(timeout, [this] { on_gap_timeout(); });
  return true;
}

void StateTransfer::send_request(const Outstanding& request) {
  ::gossip::GossipMessage message;
  message.set_nonce(request.nonce);
  message.mutable_state_request()->set_start_seq_num(request.start);
  message.mutable_state_request()->set_end_seq_num(request.end);
  host_.send_state_message(request.peer, std::move(message));
  ++counters_.requests_sent;
}

void StateTransfer::check() {
  if (!running_) return;
  if (!outstanding_) request_next(0);
  check_timer_.arm(settings_.check_interval, [this] { check(); });
}

bool StateTransfer::request_next(int attempt) {
  const std::uint64_t height = host_.ledger_height();
  const auto advertised = host_.advertised_heights();
  std::uint64_t max_height = 0;
  for (const auto& [peer, peer_height] : advertised) max_height = std::max(max_height, peer_height);
  if (max_height <= height) return false;
  const std::uint64_t start = height;
  const std::uint64_t end = std::min(start + settings_.batch_size - 1, max_height - 1);
  // A peer of height h holds blocks 0..h-1, so it can serve the whole batch only
  // with h > end. (Fabric asks h ≥ end and may get one block short; the next
  // batch picks it up either way.)
  std::vector<PeerId> holders;
  for (const auto& [peer, peer_height] : advertised)
    if (peer_height > end) holders.push_back(peer);
  if (holders.empty()) return false;
  outstanding_ = Outstanding{host_.pick_one(holders), host_.new_nonce(), start, end, attempt};
  send_request(*outstanding_);
  response_timer_.arm(settings_.response_timeout, [this] { on_timeout(); });
  return true;
}

void StateTransfer::on_gap_timeout() {
  if (!gap_) return;
  gap_.reset();
  ++counters_.gap_timeouts;
  host_.gap_request_expired();
}

void StateTransfer::on_timeout() {
  if (!outstanding_) return;
  const int attempt = outstanding_->attempt + 1;
  outstanding_.reset();
  if (attempt > settings_.max_retries) {
    ++counters_.gave_up;  // the next check starts over
    return;
  }
  ++counters_.retries;
  request_next(attempt);
}

StateDrop StateTransfer::on_request(const PeerId& from, std::uint64_t nonce,
                                    const ::gossip::RemoteStateRequest& request) {
  if (!host_.may_request_state(from)) {
    ++counters_.not_reader;
    return StateDrop::kNotReader;
  }
  const std::uint64_t start = request.start_seq_num();
  const std::uint64_t end = request.end_seq_num();
  if (start > end || end - start > settings_.batch_size) {
    ++counters_.bad_range;
    return StateDrop::kBadRange;
  }
  ::gossip::GossipMessage reply;
  reply.set_nonce(nonce);
  ::gossip::RemoteStateResponse& response = *reply.mutable_state_response();
  for (std::uint64_t number = start;; ++number) {
    // Blocks this peer lacks are skipped (§10.4).
    if (auto bytes = host_.block_bytes(number)) {
      ::gossip::Payload& payload = *response.add_payloads();
      payload.set_seq_num(number);
      payload.set_data(std::move(*bytes));
    }
    if (number == end) break;
  }
  host_.send_state_message(from, std::move(reply));
  ++counters_.responses_sent;
  return StateDrop::kNone;
}

StateDrop StateTransfer::on_response(const PeerId& from, std::uint64_t nonce,
                                     const ::gossip::RemoteStateResponse& response) {
  const auto matches = [&](const std::optional<Outstanding>& out) {
    return out && out->nonce == nonce && out->peer == from;
  };
  Outstanding request;
  if (matches(gap_)) {
    request = *gap_;
    gap_.reset();
    gap_timer_.cancel();
  } else if (matches(outstanding_)) {
    request = *outstanding_;
    outstanding_.reset();
    response_timer_.cancel();
  } else {
    ++counters_.unrequested;
    return StateDrop::kUnrequested;
  }
  std::vector<const ::gossip::Payload*> blocks;
  for (const ::gossip::Payload& payload : response.payloads()) {
    if (payload.seq_num() < request.start || payload.seq_num() > request.end) {
      ++counters_.unrequested_block;
      continue;
    }
    blocks.push_back(&payload);
  }
  counters_.blocks_received += host_.take_state_blocks(from, blocks);
  // Keep going while behind: the next batch at once, not at the next check.
  if (running_ && !outstanding_) request_next(0);
  return StateDrop::kNone;
}

}  // namespace fabnet::state
