#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "gossip/message.h"
#include "gossip/peer_id.h"
#include "runtime/scheduler.h"

namespace fabnet::state {

using gossip::MessagePtr;
using gossip::PeerId;
using namespace std::chrono_literals;

// Fabric's block pull (anti-loss), protocol.md §10.3: Hello → Digest → Request →
// Update, with the timings of peer.gossip.{pullInterval, digestWaitTime,
// requestWaitTime, responseWaitTime} and pullPeerNum targets per round.
struct PullSettings {
  runtime::Duration pull_interval = 4s;
  std::size_t pull_peer_num = 3;
  runtime::Duration digest_wait_time = 1s;
  runtime::Duration request_wait_time = 1500ms;
  runtime::Duration response_wait_time = 2s;
  // Blocks kept for others to pull (peer.gossip.maxBlockCountToStore).
  std::size_t max_block_count_to_store = 10;
  // Longest digest, request or update accepted; a longer list is dropped whole.
  std::size_t max_list_entries = 1000;
};

// What the puller needs from its node. The node decides who may pull, picks at
// random, verifies blocks and commits them; the puller keeps the protocol's state.
class PullHost {
 public:
  virtual ~PullHost() = default;
  // Up to `count` random peers of my org in the channel that may be pulled from.
  virtual std::vector<PeerId> pull_targets(std::size_t count) = 0;
  // Whether `peer` may pull from me: its StateInfo is known, same org, eligible (§10.3).
  virtual bool may_pull_from_me(const PeerId& peer) = 0;
  // One of `holders` at random.
  virtual PeerId pick_holder(const std::vector<PeerId>& holders) = 0;
  virtual std::uint64_t new_nonce() = 0;
  virtual std::uint64_t ledger_height() = 0;
  // Sends an unsigned message; the puller fills content and nonce, the host the
  // channel and tag (CHAN_AND_ORG).
  virtual void send_pull_message(const PeerId& to, ::gossip::GossipMessage message) = 0;
  // Every block of one update (DataMessages of this channel, in order). The host
  // verifies them all; any failure drops the whole update (it returns false).
  virtual bool take_pulled_blocks(const PeerId& from, const std::vector<MessagePtr>& blocks) = 0;
};

struct PullCounters {
  std::uint64_t rounds = 0;
  std::uint64_t hellos_sent = 0;
  std::uint64_t digests_sent = 0;
  std::uint64_t requests_sent = 0;
  std::uint64_t updates_sent = 0;
  std::uint64_t blocks_pulled = 0;
  // Drops, each with its reason (names in drop_reason()).
  std::uint64_t hello_not_eligible = 0;
  std::uint64_t unknown_nonce = 0;    // digest, request or update we did not ask for
  std::uint64_t oversize_list = 0;    // more than max_list_entries
  std::uint64_t bad_digest_item = 0;  // not a decimal block number
  std::uint64_t update_rejected = 0;  // an element failed: wrong type, channel or verification
};

// Why a pull message was not used; kNone when it was.
enum class PullDrop {
  kNone,
  kNotEligible,     // a hello from a peer that may not pull from me
  kUnknownNonce,    // a digest, request or update nobody asked for, or too late
  kOversizeList,    // more than max_list_entries
  kRejectedUpdate,  // an element of the wrong kind or channel, or failing verification
};

// The block pull engine of one channel. Pure: time from the scheduler, messages
// through the host; one instance per joined channel.
class BlockPuller {
 public:
  BlockPuller(std::string channel, PullSettings settings, runtime::Scheduler& scheduler,
              PullHost& host);
  BlockPuller(const BlockPuller&) = delete;
  BlockPuller& operator=(const BlockPuller&) = delete;

  // Starts the periodic rounds (the first after one pullInterval); stop() ends them.
  void start();
  void stop();

  // A block this peer holds and offers to others: a DataMessage of this channel.
  // Only the newest max_block_count_to_store are kept.
  void add(std::uint64_t number, MessagePtr data_message);
  bool holds(std::uint64_t number) const { return store_.contains(number); }
  // Whether the store would take block `number` now: not when it is more than
  // max_block_count_to_store below the newest block held (Fabric's block message store
  // refuses such a block too).
  bool would_keep(std::uint64_t number) const {
    return store_.empty() || number + settings_.max_block_count_to_store >= store_.rbegin()->first;
  }
  std::size_t stored() const { return store_.size(); }

  // Each returns why the message was dropped, or PullDrop::kNone.
  PullDrop on_hello(const PeerId& from, const ::gossip::GossipHello& hello);
  PullDrop on_digest(const PeerId& from, const ::gossip::DataDigest& digest);
  PullDrop on_request(const PeerId& from, const ::gossip::DataRequest& request);
  PullDrop on_update(const PeerId& from, const ::gossip::DataUpdate& update);

  const PullCounters& counters() const { return counters_; }

 private:
  struct Expiring {
    PeerId peer;
    runtime::TimePoint until;
  };

  void round();
  void send_requests();
  void schedule_round();
  void forget_expired();

  std::string channel_;
  PullSettings settings_;
  runtime::Scheduler& scheduler_;
  PullHost& host_;
  runtime::Timer round_timer_;
  runtime::Timer digest_timer_;
  bool running_ = false;

  std::map<std::uint64_t, MessagePtr> store_;
  // Initiator: hello nonce → peer, while digests may come back.
  std::unordered_map<std::uint64_t, Expiring> hellos_;
  // Initiator: block number → peers that offered it, this round.
  std::map<std::uint64_t, std::vector<PeerId>> offered_;
  // Initiator: request nonce → peer, while its update may come back.
  std::unordered_map<std::uint64_t, Expiring> requests_;
  // Responder: nonces of hellos answered → who sent them, while a request may follow.
  std::unordered_map<std::uint64_t, Expiring> answered_;
  PullCounters counters_;
};

// Digest items are block numbers in decimal ASCII (protocol.md §10.3).
std::string digest_item(std::uint64_t number);
// nullopt unless `item` is a decimal number that fits 64 bits, with no sign or spaces.
std::optional<std::uint64_t> parse_digest_item(std::string_view item);

}  // namespace fabnet::state
