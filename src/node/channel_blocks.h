#pragma once

// The blocks of one joined channel among the peers of my org, as Fabric's
// gossip/state and block pull: push with forwarding (protocol.md §10.2), the
// ordered commit buffer, pull (§10.3) and state transfer (§10.4), and the ledger
// height this peer advertises in its StateInfo (§7.1). Pure: time from the
// scheduler, messages through the channel's host, blocks through ChannelLedger.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/common.pb.h"
#include "ledger/ledger.h"
#include "node/transport.h"
#include "runtime/scheduler.h"
#include "state/block_puller.h"
#include "state/payload_buffer.h"
#include "state/state_transfer.h"

namespace fabnet::node {

class ChannelState;
class ChannelHost;
struct ChannelEnvironment;

// The blocks of one channel as this peer keeps them: the daemon backs it with
// the block store and the orderer org's verifier, the simulator with memory.
class ChannelLedger {
 public:
  virtual ~ChannelLedger() = default;
  virtual ledger::Ledger& chain() = 0;
  // protocol.md §3.5 for a block claimed to be `number`: channel, data hash,
  // orderer signature. The chain link (previous hash) is the ledger's check.
  virtual ledger::AppendResult verify(const common::Block& block, std::uint64_t number) = 0;
  // Makes the blocks staged in chain() durable and then calls `done` with the outcome,
  // on the node's loop. This default commits at once; a disk ledger may sync on a
  // thread of its own, so that the loop goes on forwarding and answering while the
  // disk works (ChannelBlocks stages nothing more until `done` ran).
  virtual void commit_staged(std::function<void(ledger::AppendResult)> done) {
    done(chain().commit());
  }
};

class LedgerProvider {
 public:
  virtual ~LedgerProvider() = default;
  // The ledger of `channel`, or nullptr if this peer keeps no blocks of it.
  virtual ChannelLedger* ledger_for(const std::string& channel) = 0;
};

// peer.gossip.state.blockBufferSize, peer.gossip.{pull*, *WaitTime,
// maxBlockCountToStore} and peer.gossip.state.* (Fabric's defaults).
struct BlockSettings {
  std::size_t block_buffer_size = 20;
  // peer.gossip.maxPropagationBurstSize and maxPropagationBurstLatency (§5.3): blocks
  // to push or forward wait in a batch, sent when this many wait or at the next tick
  // of a latency-period clock, whichever comes first. A size of 1 or a zero latency
  // sends each block at once.
  std::size_t max_propagation_burst_size = 10;
  runtime::Duration max_propagation_burst_latency = std::chrono::milliseconds(10);
  // fabnet's, not Fabric's: a block missing below buffered ones (or below one pushed
  // too far ahead to buffer) for this long is asked for at once by a state request to
  // the leader (or the peer that pushed the newest buffered block), instead of waiting
  // for the next pull round or state check (seconds). One lost push otherwise holds up every later
  // block (they are committed in order). Zero: off, as Fabric. Needs state transfer enabled.
  runtime::Duration gap_fetch_delay = std::chrono::milliseconds(2);
  // fabnet's: a gap request unanswered for this long is sent again at once, to the
  // next peer in line (the leader, the newest block's pusher, then any peer of my org
  // in the channel), instead of waiting state.responseTimeout (3 s) and then the
  // advertised heights. A lost request or answer then costs this, not seconds.
  runtime::Duration gap_fetch_timeout = std::chrono::milliseconds(300);
  // fabnet's: once the ordering service has sent the leader no new block for this
  // long, the leader sends its newest block once more, to every peer of my org in the
  // channel. A follower that missed the last push of a burst has no later block to
  // show it the gap and would wait for the next pull round (pullInterval, 4 s); the
  // others drop the copy as a duplicate. Zero: off, as Fabric.
  runtime::Duration tail_push_delay = std::chrono::milliseconds(250);
  // At most this many peers get the tail push (picked at random in a larger org), so
  // that a big org costs a bounded burst; there pull finds what the pick missed.
  std::size_t tail_push_max_peers = 32;
  state::PullSettings pull;
  state::StateTransferSettings state;
};

struct BlockCounters {
  std::uint64_t committed_from_orderer = 0;
  std::uint64_t committed_by_push = 0;
  std::uint64_t committed_by_pull = 0;
  std::uint64_t committed_by_state_transfer = 0;
  std::uint64_t forwarded = 0;     // pushes sent (each to up to propagatePeerNum peers)
  std::uint64_t push_batches = 0;  // batches flushed
  // Copies received of a block still waiting in my push batch: their senders are left
  // out of its pick.
  std::uint64_t holders_learned = 0;
  std::uint64_t commit_failures = 0;  // verified, then refused by the ledger's chain check
  // Ledger commits (syncs) for blocks from my org: each covers the run of blocks ready
  // in the buffer at once, so committed_by_* / group_commits is the blocks per sync.
  std::uint64_t group_commits = 0;
  std::uint64_t tail_pushes = 0;  // newest orderer blocks sent again to the org (tail_push_delay)
  // New blocks received by push but not forwarded: more than maxBlockCountToStore below
  // the newest block held (BlockPuller::would_keep).
  std::uint64_t not_forwarded_behind_store = 0;
};

class ChannelBlocks final : public state::PullHost, public state::StateHost {
 public:
  ChannelBlocks(const ChannelEnvironment& env, ChannelHost& host, ChannelState& channel,
                ChannelLedger& ledger);
  ~ChannelBlocks() override;
  ChannelBlocks(const ChannelBlocks&) = delete;
  ChannelBlocks& operator=(const ChannelBlocks&) = delete;

  void start();
  void stop();

  std::uint64_t height() const;
  // A block this peer (the leader) received from the ordering service, already
  // verified and appended by the deliver client: spread it to my org.
  void on_orderer_block(std::uint64_t number, const std::string& bytes);
  // The same block, verified but not yet appended: spread it now, so the org does not
  // wait for this peer's disk (on_orderer_block then does not push it again).
  void on_orderer_block_verified(std::uint64_t number, const std::string& bytes);

  // Inbound, tag and channel already checked by the node.
  void on_data_message(const ConnectionInfo& from, const MessagePtr& message);
  void on_pull_message(const ConnectionInfo& from, const MessagePtr& message);
  void on_state_message(const ConnectionInfo& from, const MessagePtr& message);

  const BlockCounters& counters() const { return counters_; }
  const state::PullCounters& pull_counters() const { return puller_.counters(); }
  const state::StateCounters& state_counters() const { return state_.counters(); }
  std::size_t buffered() const { return buffer_.size(); }
  // Blocks waiting in the push batch (at most maxPropagationBurstSize - 1 between events).
  std::size_t push_pending() const { return pending_pushes_.size(); }

  // state::PullHost
  std::vector<PeerId> pull_targets(std::size_t count) override;
  bool may_pull_from_me(const PeerId& peer) override;
  PeerId pick_holder(const std::vector<PeerId>& holders) override;
  std::uint64_t new_nonce() override;
  std::uint64_t ledger_height() override { return height(); }
  void send_pull_message(const PeerId& to, ::gossip::GossipMessage message) override;
  bool take_pulled_blocks(const PeerId& from, const std::vector<MessagePtr>& blocks) override;

  // state::StateHost
  std::vector<std::pair<PeerId, std::uint64_t>> advertised_heights() override;
  PeerId pick_one(const std::vector<PeerId>& peers) override { return pick_holder(peers); }
  bool may_request_state(const PeerId& peer) override;
  std::optional<std::string> block_bytes(std::uint64_t number) override;
  void send_state_message(const PeerId& to, ::gossip::GossipMessage message) override;
  std::size_t take_state_blocks(const PeerId& from,
                                const std::vector<const ::gossip::Payload*>& blocks) override;
  void gap_request_expired() override;

 private:
  // The data message carrying `number`, as gossiped (unsigned, CHAN_AND_ORG).
  MessagePtr data_message(std::uint64_t number, const std::string& bytes);
  // `bytes` parsed, if it verifies as block `number`; nullptr if refused.
  std::shared_ptr<const common::Block> verified(std::uint64_t number, const std::string& bytes);
  // Queues block `number` for the push batch; `sender` never gets it back.
  void push(const MessagePtr& message, std::uint64_t number, const PeerId* sender);
  // A copy of block `number` came from `peer`: if the block still waits in the push
  // batch, `peer` is left out of its pick.
  void note_holder(std::uint64_t number, const PeerId& peer);
  // Sends the waiting batch to up to propagatePeerNum random peers of my org in the
  // channel, picked once per batch as Fabric's emitter does (§5.3), each block to
  // those picks except the peers known to hold it (its sender, and each peer whose
  // copy came while it waited). fabnet's, not Fabric's: the leader this peer believes
  // in is not picked, since it has every block it pushed; Fabric picks it as any
  // other, and a forward to it is wasted.
  void flush_pushes();
  // Buffers a verified block; true unless the buffer refused it.
  state::BufferVerdict buffer(std::uint64_t number, const std::string& bytes,
                              std::shared_ptr<const common::Block> block,
                              state::BlockSource source);
  // Stages every block the buffer has ready and commits them with one ledger sync.
  void commit_ready();
  void send(const PeerId& to, ::gossip::GossipMessage message, ::gossip::GossipMessage::Tag tag);

  const ChannelEnvironment& env_;
  ChannelHost& host_;
  ChannelState& channel_;
  ChannelLedger& ledger_;
  state::PayloadBuffer buffer_;
  state::BlockPuller puller_;
  state::StateTransfer state_;
  struct PendingPush {
    MessagePtr message;
    std::uint64_t number = 0;
    // Peers known to hold the block: the one that sent it, and each one whose copy came
    // while it waited here. None of them is sent it again.
    std::vector<PeerId> holders;
    bool held_by(const PeerId& peer) const {
      return std::find(holders.begin(), holders.end(), peer) != holders.end();
    }
  };
  std::vector<PendingPush> pending_pushes_;
  runtime::Timer push_timer_;
  runtime::Timer gap_timer_;
  runtime::Timer tail_timer_;     // tail_push_delay after the newest orderer block
  runtime::Timer commit_timer_;   // due at once: commits what this turn made ready
  bool committing_ = false;       // a commit_staged() has not called back yet
  std::uint64_t staged_end_ = 0;  // while committing: one past the last block it covers
  // Expires with this object: a commit that calls back later finds it gone.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
  // Where the buffer starts: the height, or past the blocks being committed.
  std::uint64_t buffer_base() const;
  // Counts, publishes and reports a commit's blocks once it is durable.
  void committed(const std::vector<state::BufferedBlock>& blocks,
                 const ledger::AppendResult& result);
  std::optional<PeerId> newest_pusher_;                // who pushed the newest block buffered ahead
  std::optional<std::uint64_t> pushed_before_append_;  // the orderer block spread early
  // Stores an orderer block for pull and pushes it to my org; (re)starts the wait after
  // which it goes to the org once more (the tail push).
  void spread_orderer_block(std::uint64_t number, const std::string& bytes);
  // Sends an already sealed message to a member, if discovery knows its endpoint.
  void send_sealed(const PeerId& to, const MessagePtr& message);
  // Tells the host of a hole just below `number` (a block that came by push).
  void report_hole_below(std::uint64_t number);
  // Fetches the gap below the buffered blocks if it is still there.
  void fetch_gap();
  // Arms the gap fetch (gap_fetch_delay) unless armed already or turned off.
  void schedule_gap_fetch();
  // The block just above the gap to fetch (the newest buffered, or the newest seen too
  // far ahead to buffer), or nullopt when nothing is missing.
  std::optional<std::uint64_t> gap_end();
  // The newest block that came by push too far ahead of the ledger to buffer.
  std::optional<std::uint64_t> beyond_buffer_;
  // Gap requests of the current gap that went unanswered: picks the next peer to ask.
  std::size_t gap_attempts_ = 0;
  // The batch clock ticks every maxPropagationBurstLatency from here, like Fabric's
  // free-running emitter, but arms a timer only while a batch waits.
  runtime::TimePoint push_epoch_{};
  BlockCounters counters_;
};

}  // namespace fabnet::node
