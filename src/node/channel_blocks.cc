#include "node/channel_blocks.h"

#include <algorithm>

#include "node/channel_state.h"
#include "node/random_pick.h"

namespace fabnet::node {

using ::gossip::GossipMessage;
using state::BlockSource;
using state::BufferVerdict;

namespace {

DropReason drop_of(state::PullDrop drop) {
  switch (drop) {
    case state::PullDrop::kNotEligible:
      return DropReason::kPullNotEligible;
    case state::PullDrop::kUnknownNonce:
      return DropReason::kPullUnknownNonce;
    case state::PullDrop::kOversizeList:
      return DropReason::kOversizeList;
    case state::PullDrop::kRejectedUpdate:
    case state::PullDrop::kNone:
      break;
  }
  return DropReason::kPullRejectedUpdate;
}

DropReason drop_of(state::StateDrop drop) {
  switch (drop) {
    case state::StateDrop::kBadRange:
      return DropReason::kStateBadRange;
    case state::StateDrop::kNotReader:
      return DropReason::kStateNotReader;
    case state::StateDrop::kUnrequested:
    case state::StateDrop::kNone:
      break;
  }
  return DropReason::kStateUnrequested;
}

DropReason drop_of(BufferVerdict verdict) {
  switch (verdict) {
    case BufferVerdict::kTooOld:
      return DropReason::kBlockTooOld;
    case BufferVerdict::kDuplicate:
      return DropReason::kBlockDuplicate;
    case BufferVerdict::kTooFarAhead:
    case BufferVerdict::kAccepted:
      break;
  }
  return DropReason::kBlockTooFarAhead;
}

}  // namespace

ChannelBlocks::ChannelBlocks(const ChannelEnvironment& env, ChannelHost& host,
                             ChannelState& channel, ChannelLedger& ledger)
    : env_(env),
      host_(host),
      channel_(channel),
      ledger_(ledger),
      buffer_(env.settings.blocks.block_buffer_size),
      puller_(channel.name(), env.settings.blocks.pull, env.scheduler, *this),
      state_(channel.name(), env.settings.blocks.state, env.scheduler, *this),
      push_timer_(env.scheduler),
      gap_timer_(env.scheduler),
      tail_timer_(env.scheduler),
      commit_timer_(env.scheduler),
      push_epoch_(env.scheduler.now()) {
  channel_.set_ledger_height(height());
}

ChannelBlocks::~ChannelBlocks() = default;

void ChannelBlocks::start() {
  puller_.start();
  state_.start();
}

void ChannelBlocks::stop() {
  puller_.stop();
  state_.stop();
  push_timer_.cancel();
  gap_timer_.cancel();
  tail_timer_.cancel();
  commit_timer_.cancel();
  pending_pushes_.clear();  // nothing is sent once stopped
}

std::uint64_t ChannelBlocks::height() const {
  return ledger_.chain().height();
}

MessagePtr ChannelBlocks::data_message(std::uint64_t number, const std::string& bytes) {
  GossipMessage message;
  message.set_channel(channel_.name());
  message.set_tag(GossipMessage::CHAN_AND_ORG);
  ::gossip::Payload& payload = *message.mutable_data_msg()->mutable_payload();
  payload.set_seq_num(number);
  payload.set_data(bytes);
  return host_.seal(std::move(message), /*sign=*/false);  // blocks are not signed (§10.1)
}

void ChannelBlocks::on_orderer_block_verified(std::uint64_t number, const std::string& bytes) {
  if (number != height() || puller_.holds(number)) return;  // only the next block, once
  spread_orderer_block(number, bytes);
  pushed_before_append_ = number;
}

void ChannelBlocks::on_orderer_block(std::uint64_t number, const std::string& bytes) {
  ++counters_.committed_from_orderer;
  if (pushed_before_append_ != number) spread_orderer_block(number, bytes);
  pushed_before_append_.reset();
  channel_.set_ledger_height(height());
  commit_ready();  // drops buffered copies the deliver client has passed
  host_.on_block_committed(channel_.name(), number, BlockSource::kDeliver);
}

void ChannelBlocks::spread_orderer_block(std::uint64_t number, const std::string& bytes) {
  const MessagePtr message = data_message(number, bytes);
  puller_.add(number, message);
  push(message, number, nullptr);
  // The tail push: once no newer orderer block came for tail_push_delay, this one goes
  // to the org once more.
  const runtime::Duration delay = env_.settings.blocks.tail_push_delay;
  if (delay <= runtime::Duration::zero()) return;
  tail_timer_.arm(delay, [this, message] {
    ++counters_.tail_pushes;
    std::vector<PeerId> targets = channel_.org_view();
    const std::size_t most = env_.settings.blocks.tail_push_max_peers;
    if (targets.size() > most) targets = pick_random(std::move(targets), most, env_.random);
    for (const PeerId& peer : targets) send_sealed(peer, message);
  });
}

void ChannelBlocks::send_sealed(const PeerId& to, const MessagePtr& message) {
  const discovery::Member* member = env_.discovery.member(to);
  if (member) host_.send(to, member->preferred_endpoint(), message);
}

std::shared_ptr<const common::Block> ChannelBlocks::verified(std::uint64_t number,
                                                             const std::string& bytes) {
  auto block = std::make_shared<common::Block>();
  if (!block->ParseFromString(bytes) || !ledger_.verify(*block, number).ok) return nullptr;
  return block;
}

void ChannelBlocks::on_data_message(const ConnectionInfo& from, const MessagePtr& message) {
  const ::gossip::DataMessage& data = message->message.data_msg();
  if (!data.has_payload()) return host_.drop(from, *message, DropReason::kMalformed);
  const std::uint64_t number = data.payload().seq_num();
  if (number < buffer_base()) {
    note_holder(number, from.pki_id);
    return host_.drop(from, *message, DropReason::kBlockTooOld);
  }
  if (puller_.holds(number) || buffer_.holds(number)) {
    note_holder(number, from.pki_id);
    return host_.drop(from, *message, DropReason::kBlockDuplicate);
  }
  auto block = verified(number, data.payload().data());
  if (!block) return host_.drop(from, *message, DropReason::kBlockRefused);
  // Stored and forwarded before the buffer decides, as Fabric's gossip layer does:
  // a peer far behind still helps the others. Not a block more than
  // maxBlockCountToStore below the newest held: the store would drop it at once, so
  // every peer would forward it on every copy, round and round the org (Fabric's
  // store refuses it before verifying and drops it; here it still goes to the buffer).
  if (puller_.would_keep(number)) {
    puller_.add(number, message);
    push(message, number, &from.pki_id);
  } else {
    ++counters_.not_forwarded_behind_store;
  }
  const BufferVerdict verdict =
      buffer(number, data.payload().data(), std::move(block), BlockSource::kPush);
  if (verdict == BufferVerdict::kTooFarAhead) {
    // Too far ahead to buffer, but proof that everything below it exists: fetched
    // now, a batch at a time, rather than at the next state check.
    if (!beyond_buffer_ || number > *beyond_buffer_) beyond_buffer_ = number;
    schedule_gap_fetch();
  }
  if (verdict != BufferVerdict::kAccepted) return host_.drop(from, *message, drop_of(verdict));
  report_hole_below(number);
  if (buffer_.size() != 0) {
    if (buffer_.highest() && *buffer_.highest() == number) newest_pusher_ = from.pki_id;
    schedule_gap_fetch();
  }
}

void ChannelBlocks::schedule_gap_fetch() {
  const runtime::Duration delay = env_.settings.blocks.gap_fetch_delay;
  if (delay > runtime::Duration::zero() && !gap_timer_.armed())
    gap_timer_.arm(delay, [this] { fetch_gap(); });
}

std::optional<std::uint64_t> ChannelBlocks::gap_end() {
  if (beyond_buffer_ && *beyond_buffer_ <= buffer_base()) beyond_buffer_.reset();
  std::optional<std::uint64_t> highest = buffer_.highest();
  if (beyond_buffer_ && (!highest || *beyond_buffer_ > *highest)) highest = beyond_buffer_;
  if (!highest || *highest <= buffer_base()) return std::nullopt;
  return highest;
}

void ChannelBlocks::report_hole_below(std::uint64_t number) {
  // Each hole is reported once: by the block just above it, which arrives once.
  const std::uint64_t base = buffer_base();
  if (number <= base || buffer_.holds(number - 1)) return;
  std::uint64_t first = number - 1;
  while (first > base && !buffer_.holds(first - 1)) --first;
  host_.on_block_gap(channel_.name(), first, number);
}

void ChannelBlocks::fetch_gap() {
  const auto highest = gap_end();
  if (!highest) {  // filled meanwhile
    gap_attempts_ = 0;
    return;
  }
  // Whom to ask, in order: the leader (it has every block first), the peer that pushed
  // the newest buffered block, then, after both went unanswered, any peer of my org.
  const PeerId& self = env_.discovery.self().pki_id;
  std::vector<PeerId> in_line;
  if (const PeerId* leader = channel_.believed_leader(); leader && *leader != self)
    in_line.push_back(*leader);
  if (newest_pusher_ && (in_line.empty() || *newest_pusher_ != in_line.front()))
    in_line.push_back(*newest_pusher_);
  PeerId from;
  if (gap_attempts_ < in_line.size()) {
    from = in_line[gap_attempts_];
  } else {
    std::vector<PeerId> others = channel_.org_view();
    std::erase_if(others, [&in_line](const PeerId& peer) {
      return std::find(in_line.begin(), in_line.end(), peer) != in_line.end();
    });
    if (auto any = pick_random(std::move(others), 1, env_.random); !any.empty()) {
      from = any.front();
    } else if (!in_line.empty()) {
      from = in_line.front();
    } else {
      return;
    }
  }
  // Another request is in flight (an earlier gap): try again once it may have been
  // answered, rather than wait for the next push, which never comes after the last
  // block of a burst.
  const BlockSettings& settings = env_.settings.blocks;
  if (!state_.fetch_gap(from, buffer_base(), *highest - 1, settings.gap_fetch_timeout) &&
      state_.fetching_gap())
    gap_timer_.arm(settings.gap_fetch_delay, [this] { fetch_gap(); });
}

void ChannelBlocks::gap_request_expired() {
  ++gap_attempts_;
  gap_timer_.cancel();
  fetch_gap();
}

void ChannelBlocks::push(const MessagePtr& message, std::uint64_t number, const PeerId* sender) {
  PendingPush pending{message, number, {}};
  if (sender) pending.holders.push_back(*sender);
  pending_pushes_.push_back(std::move(pending));
  const BlockSettings& settings = env_.settings.blocks;
  const runtime::Duration latency = settings.max_propagation_burst_latency;
  if (pending_pushes_.size() >= settings.max_propagation_burst_size ||
      latency <= runtime::Duration::zero())
    return flush_pushes();
  if (push_timer_.armed()) return;
  // The next tick of the batch clock: a block waits at most one latency period.
  const runtime::Duration since = env_.scheduler.now() - push_epoch_;
  push_timer_.arm(latency - since % latency, [this] { flush_pushes(); });
}

void ChannelBlocks::note_holder(std::uint64_t number, const PeerId& peer) {
  for (PendingPush& pending : pending_pushes_) {
    if (pending.number != number) continue;
    if (!pending.held_by(peer)) {
      pending.holders.push_back(peer);
      ++counters_.holders_learned;
    }
    return;
  }
}

void ChannelBlocks::flush_pushes() {
  push_timer_.cancel();
  if (pending_pushes_.empty()) return;
  std::vector<PendingPush> batch;
  batch.swap(pending_pushes_);
  const auto count = static_cast<std::size_t>(env_.settings.propagate_peer_num);
  std::vector<PeerId> view = channel_.org_view();
  if (const PeerId* leader = channel_.believed_leader())
    std::erase(view, *leader);  // it has every block it pushed
  const std::vector<PeerId> picked = pick_random(std::move(view), count, env_.random);
  ++counters_.push_batches;
  for (const PendingPush& pending : batch) {
    for (const PeerId& peer : picked) {
      if (pending.held_by(peer))
        continue;  // never back to its sender, nor to a peer that sent a copy meanwhile
      send_sealed(peer, pending.message);
    }
    ++counters_.forwarded;
  }
}

BufferVerdict ChannelBlocks::buffer(std::uint64_t number, const std::string& bytes,
                                    std::shared_ptr<const common::Block> block,
                                    BlockSource source) {
  const BufferVerdict verdict = buffer_.push(
      buffer_base(), state::BufferedBlock{number, std::make_shared<const std::string>(bytes),
                                          source, std::move(block)});
  // Committed at the end of this turn of the loop, not now: the blocks of one push
  // batch, or those that arrived while the last sync ran, then share one sync.
  if (verdict == BufferVerdict::kAccepted && !commit_timer_.armed())
    commit_timer_.arm(runtime::Duration::zero(), [this] { commit_ready(); });
  return verdict;
}

std::uint64_t ChannelBlocks::buffer_base() const {
  return committing_ ? std::max(staged_end_, height()) : height();
}

void ChannelBlocks::commit_ready() {
  // Group commit: every block that is ready now is staged, then made durable with one
  // sync; on a disk ledger that is one fdatasync per run of blocks instead of one per
  // block. Only then are they counted, the height published and the host told (a
  // block is forwarded on receipt, before the buffer, so forwarding does not wait).
  // While a sync runs, ready blocks wait for it and then share the next one: a slow
  // disk makes the runs longer, never the peer fall behind one sync per block.
  if (committing_) return;
  ledger::Ledger& chain = ledger_.chain();
  std::vector<state::BufferedBlock> staged;
  while (auto next = buffer_.pop_next(chain.staged_height())) {
    const ledger::AppendResult result = chain.stage(*next->block, *next->bytes);
    if (!result.ok) {
      ++counters_.commit_failures;  // a verified block that does not chain: a forked orderer
      continue;
    }
    staged.push_back(std::move(*next));
  }
  if (staged.empty()) return;
  committing_ = true;
  staged_end_ = staged.back().number + 1;
  std::weak_ptr<const bool> alive = alive_;
  ledger_.commit_staged([this, alive, staged](const ledger::AppendResult& result) {
    if (alive.expired()) return;  // left the channel or stopped meanwhile
    committing_ = false;
    committed(staged, result);
    commit_ready();  // what became ready during the sync
  });
}

void ChannelBlocks::committed(const std::vector<state::BufferedBlock>& staged,
                              const ledger::AppendResult& result) {
  if (!result.ok) {
    counters_.commit_failures += staged.size();  // the sync failed: none of them is stored
    return;
  }
  for (const state::BufferedBlock& block : staged) {
    switch (block.source) {
      case BlockSource::kPush:
        ++counters_.committed_by_push;
        break;
      case BlockSource::kPull:
        ++counters_.committed_by_pull;
        break;
      case BlockSource::kStateTransfer:
        ++counters_.committed_by_state_transfer;
        break;
      case BlockSource::kDeliver:
        ++counters_.committed_from_orderer;
        break;
    }
  }
  ++counters_.group_commits;
  channel_.set_ledger_height(height());
  for (const state::BufferedBlock& block : staged)
    host_.on_block_committed(channel_.name(), block.number, block.source);
}

void ChannelBlocks::on_pull_message(const ConnectionInfo& from, const MessagePtr& message) {
  const GossipMessage& m = message->message;
  state::PullDrop drop = state::PullDrop::kNone;
  if (m.has_hello()) drop = puller_.on_hello(from.pki_id, m.hello());
  if (m.has_data_dig()) drop = puller_.on_digest(from.pki_id, m.data_dig());
  if (m.has_data_req()) drop = puller_.on_request(from.pki_id, m.data_req());
  if (m.has_data_update()) drop = puller_.on_update(from.pki_id, m.data_update());
  if (drop != state::PullDrop::kNone) host_.drop(from, *message, drop_of(drop));
}

void ChannelBlocks::on_state_message(const ConnectionInfo& from, const MessagePtr& message) {
  const GossipMessage& m = message->message;
  state::StateDrop drop = state::StateDrop::kNone;
  if (m.has_state_request()) drop = state_.on_request(from.pki_id, m.nonce(), m.state_request());
  if (m.has_state_response()) drop = state_.on_response(from.pki_id, m.nonce(), m.state_response());
  if (drop != state::StateDrop::kNone) host_.drop(from, *message, drop_of(drop));
}

// ---- state::PullHost ----------------------------------------------------------

std::vector<PeerId> ChannelBlocks::pull_targets(std::size_t count) {
  return pick_random(channel_.org_view(), count, env_.random);
}

bool ChannelBlocks::may_pull_from_me(const PeerId& peer) {
  return channel_.in_org_view(peer);
}

PeerId ChannelBlocks::pick_holder(const std::vector<PeerId>& holders) {
  return pick_random(holders, 1, env_.random).front();
}

std::uint64_t ChannelBlocks::new_nonce() {
  return env_.random();
}

void ChannelBlocks::send(const PeerId& to, GossipMessage message, GossipMessage::Tag tag) {
  const discovery::Member* member = env_.discovery.member(to);
  if (!member) return;
  message.set_channel(channel_.name());
  message.set_tag(tag);
  host_.send(to, member->preferred_endpoint(), host_.seal(std::move(message), /*sign=*/false));
}

void ChannelBlocks::send_pull_message(const PeerId& to, GossipMessage message) {
  send(to, std::move(message), GossipMessage::CHAN_AND_ORG);
}

bool ChannelBlocks::take_pulled_blocks(const PeerId&, const std::vector<MessagePtr>& blocks) {
  // Every element verifies or the update is dropped whole (§10.3).
  std::vector<std::shared_ptr<const common::Block>> parsed;
  parsed.reserve(blocks.size());
  for (const MessagePtr& message : blocks) {
    const ::gossip::Payload& payload = message->message.data_msg().payload();
    parsed.push_back(verified(payload.seq_num(), payload.data()));
    if (!parsed.back()) return false;
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const ::gossip::Payload& payload = blocks[i]->message.data_msg().payload();
    if (payload.seq_num() < buffer_base() || puller_.holds(payload.seq_num())) continue;
    puller_.add(payload.seq_num(), blocks[i]);  // offered onwards, not re-pushed
    buffer(payload.seq_num(), payload.data(), std::move(parsed[i]), BlockSource::kPull);
  }
  return true;
}

// ---- state::StateHost ---------------------------------------------------------

std::vector<std::pair<PeerId, std::uint64_t>> ChannelBlocks::advertised_heights() {
  std::vector<std::pair<PeerId, std::uint64_t>> heights;
  for (const PeerId& peer : channel_.org_view())
    heights.emplace_back(peer, channel_.advertised_height(peer));
  return heights;
}

bool ChannelBlocks::may_request_state(const PeerId& peer) {
  const discovery::Member* member = env_.discovery.member(peer);
  return member && channel_.has_org(member->org);
}

std::optional<std::string> ChannelBlocks::block_bytes(std::uint64_t number) {
  return ledger_.chain().block_bytes(number);
}

void ChannelBlocks::send_state_message(const PeerId& to, GossipMessage message) {
  send(to, std::move(message), GossipMessage::CHAN_OR_ORG);
}

std::size_t ChannelBlocks::take_state_blocks(const PeerId&,
                                             const std::vector<const ::gossip::Payload*>& blocks) {
  gap_attempts_ = 0;  // answered: the next gap asks the leader first again
  std::size_t taken = 0;
  for (const ::gossip::Payload* payload : blocks) {
    if (payload->seq_num() < buffer_base() || buffer_.holds(payload->seq_num())) continue;
    auto block = verified(payload->seq_num(), payload->data());
    if (!block) continue;
    if (buffer(payload->seq_num(), payload->data(), std::move(block),
               BlockSource::kStateTransfer) == BufferVerdict::kAccepted)
      ++taken;
  }
  // A gap longer than one batch: the next batch at once. Only after progress, so that
  // an answer without the blocks does not turn into a stream of requests.
  if (taken > 0 && beyond_buffer_) schedule_gap_fetch();
  return taken;
}

}  // namespace fabnet::node
