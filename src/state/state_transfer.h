#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gossip/message.h"
#include "gossip/peer_id.h"
#include "runtime/scheduler.h"

namespace fabnet::state {

using gossip::PeerId;
using namespace std::chrono_literals;

// Point-to-point catch-up (protocol.md §10.4), peer.gossip.state.*. Fabric v2.4.9
// ships the initiating side off (`enabled: false`); fabnet turns it on by default
// because a peer that was away longer than the pull store reaches (10 blocks)
// has no other way back. Every peer answers requests whatever `enabled` says.
struct StateTransferSettings {
  bool enabled = true;
  runtime::Duration check_interval = 10s;
  runtime::Duration response_timeout = 3s;
  std::uint64_t batch_size = 10;
  int max_retries = 3;
};

class StateHost {
 public:
  virtual ~StateHost() = default;
  virtual std::uint64_t ledger_height() = 0;
  // Peers of the channel with the ledger height their StateInfo advertises.
  virtual std::vector<std::pair<PeerId, std::uint64_t>> advertised_heights() = 0;
  virtual PeerId pick_one(const std::vector<PeerId>& peers) = 0;
  virtual std::uint64_t new_nonce() = 0;
  // Whether `peer` may read the channel's blocks (/Channel/Application/Readers).
  virtual bool may_request_state(const PeerId& peer) = 0;
  virtual std::optional<std::string> block_bytes(std::uint64_t number) = 0;
  // Sends an unsigned message; the host fills channel and tag (CHAN_OR_ORG).
  virtual void send_state_message(const PeerId& to, ::gossip::GossipMessage message) = 0;
  // Blocks of a response, each checked and buffered by the host; returns how many it took.
  virtual std::size_t take_state_blocks(const PeerId& from,
                                        const std::vector<const ::gossip::Payload*>& blocks) = 0;
  // A request of fetch_gap() got no answer within its timeout; nothing is outstanding
  // now, so the host may ask another peer.
  virtual void gap_request_expired() {}
};

struct StateCounters {
  std::uint64_t requests_sent = 0;
  std::uint64_t retries = 0;
  std::uint64_t gave_up = 0;       // a range whose retries ran out
  std::uint64_t gap_requests = 0;  // of requests_sent, by fetch_gap
  std::uint64_t gap_timeouts = 0;  // gap requests unanswered within their own timeout
  std::uint64_t responses_sent = 0;
  std::uint64_t blocks_received = 0;
  // Drops by reason.
  std::uint64_t bad_range = 0;          // start > end, or longer than batch_size
  std::uint64_t not_reader = 0;         // requester may not read the channel
  std::uint64_t unrequested = 0;        // a response with no matching request
  std::uint64_t unrequested_block = 0;  // a payload outside the requested range
};

// State transfer of one channel: answers requests; when enabled, checks every
// check_interval whether a peer advertises more blocks and fetches them in
// batches, one request at a time, from peers whose height covers the batch.
// Why a state message was not used (kNone when it was).
enum class StateDrop {
  kNone,
  kBadRange,     // start > end, or longer than batch_size
  kNotReader,    // the requester may not read the channel
  kUnrequested,  // a response with no matching outstanding request
};

class StateTransfer {
 public:
  StateTransfer(std::string channel, StateTransferSettings settings, runtime::Scheduler& scheduler,
                StateHost& host);
  StateTransfer(const StateTransfer&) = delete;
  StateTransfer& operator=(const StateTransfer&) = delete;

  void start();
  void stop();
  // Checks at once instead of at the next interval (after a restart or a gap).
  void check_now();
  // Asks `peer` at once for [start, end] (cut to batch_size) when no gap request is
  // outstanding: a gap below blocks already buffered, which the next check would
  // reach only after check_interval. Unanswered after `timeout`, the request is
  // dropped and the host told (StateHost::gap_request_expired), so that it can ask
  // another peer at once: the periodic path's retries wait for responseTimeout and go
  // by advertised heights, which lag. A periodic request still out does not hold it
  // back (one of each may be out): a lost periodic response would otherwise stall
  // every gap for responseTimeout and its retries. False if not sent.
  bool fetch_gap(const PeerId& peer, std::uint64_t start, std::uint64_t end,
                 runtime::Duration timeout);

  StateDrop on_request(const PeerId& from, std::uint64_t nonce,
                       const ::gossip::RemoteStateRequest& request);
  // Payloads outside the requested range are skipped and counted (unrequested_block).
  StateDrop on_response(const PeerId& from, std::uint64_t nonce,
                        const ::gossip::RemoteStateResponse& response);

  // Whether a request (periodic or gap) is out; whether a gap request is.
  bool fetching() const { return outstanding_.has_value() || gap_.has_value(); }
  bool fetching_gap() const { return gap_.has_value(); }
  const StateCounters& counters() const { return counters_; }

 private:
  struct Outstanding {
    PeerId peer;
    std::uint64_t nonce = 0;
    std::uint64_t start = 0;
    std::uint64_t end = 0;  // inclusive
    int attempt = 0;
  };

  void check();
  // Requests the next batch from a peer that has it; false if there is nothing to fetch.
  bool request_next(int attempt);
  void on_timeout();
  void on_gap_timeout();
  // Sends a state request for [request.start, request.end] to request.peer.
  void send_request(const Outstanding& request);

  std::string channel_;
  StateTransferSettings settings_;
  runtime::Scheduler& scheduler_;
  StateHost& host_;
  runtime::Timer check_timer_;
  runtime::Timer response_timer_;
  runtime::Timer gap_timer_;
  bool running_ = false;
  std::optional<Outstanding> outstanding_;  // the periodic path's request
  std::optional<Outstanding> gap_;          // fetch_gap()'s request
  StateCounters counters_;
};

}  // namespace fabnet::state
