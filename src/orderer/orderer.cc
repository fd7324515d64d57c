#include "orderer/orderer.h"

#include <deque>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace fabnet::orderer {

struct Orderer::ChannelState {
  ChannelState(const Channel& def, std::unique_ptr<ledger::Ledger> l, runtime::Scheduler& scheduler,
               Orderer& owner)
      : name(def.name),
        batch(def.batch),
        ledger(std::move(l)),
        cutter(def.batch, scheduler,
               [this, &owner](Batch cut) { owner.append_batch(*this, std::move(cut)); }),
        commit_timer(scheduler) {}
  std::string name;
  config::BatchSettings batch;
  std::unique_ptr<ledger::Ledger> ledger;
  BlockCutter cutter;
  std::set<SessionId> waiting;        // sessions at the chain's head, waiting for a block
  std::uint64_t access_sequence = 0;  // bumped by access_changed()

  // Blocks staged in the ledger, awaiting the one sync that commits them all.
  struct Uncommitted {
    std::uint64_t number = 0;
    std::vector<std::uint64_t> tickets;
    std::shared_ptr<const std::string> bytes;
  };
  std::vector<Uncommitted> uncommitted;
  runtime::Timer commit_timer;

  // The last blocks committed, as cut: sessions at the head are served these bytes
  // instead of reading them back from the store.
  static constexpr std::size_t kRecentBlocks = 64;
  std::deque<std::pair<std::uint64_t, std::shared_ptr<const std::string>>> recent;
  void remember(std::uint64_t number, std::shared_ptr<const std::string> bytes) {
    recent.emplace_back(number, std::move(bytes));
    while (recent.size() > kRecentBlocks) recent.pop_front();
  }
  std::shared_ptr<const std::string> recent_block(std::uint64_t number) const {
    if (recent.empty() || number < recent.front().first || number > recent.back().first) {
      return nullptr;
    }
    const auto& entry = recent[number - recent.front().first];
    return entry.first == number ? entry.second : nullptr;
  }
};

struct Orderer::Session {
  SessionId id = 0;
  std::shared_ptr<DeliverSink> sink;
  std::deque<DeliverVerdict> requests;
  bool active = false;
  bool blocked = false;  // sink full
  bool ended = false;    // a non-SUCCESS status closed the stream
  ChannelState* channel = nullptr;
  std::uint64_t next = 0;
  std::uint64_t stop = 0;
  ::orderer::SeekInfo::SeekBehavior behavior = ::orderer::SeekInfo::BLOCK_UNTIL_READY;
  std::string creator;
  std::chrono::system_clock::time_point identity_expires;
  std::uint64_t access_sequence = 0;  // the channel's, when access was last evaluated
};

namespace {

std::string signed_header_bytes(const std::string& creator) {
  common::SignatureHeader header;
  header.set_creator(creator);
  header.set_nonce(ledger::random_nonce());
  return header.SerializeAsString();
}

std::string metadata_value() {
  // Fabric's orderer puts OrdererBlockMetadata{last_config} in SIGNATURES; every
  // fabnet block's last config is the genesis block.
  common::OrdererBlockMetadata metadata;
  metadata.mutable_last_config()->set_index(0);
  return metadata.SerializeAsString();
}

}  // namespace

std::string genesis_envelope(const std::string& channel, const std::string& data,
                             const OrdererIdentity& identity,
                             std::chrono::system_clock::time_point now) {
  common::ChannelHeader channel_header;
  channel_header.set_type(common::CONFIG);
  channel_header.set_channel_id(channel);
  const auto since_epoch = now.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  channel_header.mutable_timestamp()->set_seconds(seconds.count());
  channel_header.mutable_timestamp()->set_nanos(static_cast<std::int32_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count()));
  common::Payload payload;
  payload.mutable_header()->set_channel_header(channel_header.SerializeAsString());
  payload.mutable_header()->set_signature_header(signed_header_bytes(identity.serialized));
  payload.set_data(data);
  common::Envelope envelope;
  envelope.set_payload(payload.SerializeAsString());
  envelope.set_signature(identity.sign(envelope.payload()));
  return envelope.SerializeAsString();
}

Orderer::Orderer(std::vector<Channel> channels, runtime::Scheduler& scheduler,
                 OpenLedger open_ledger, OrdererIdentity identity, WallClock clock,
                 OrdererObserver* observer)
    : scheduler_(scheduler),
      identity_(std::move(identity)),
      clock_(std::move(clock)),
      observer_(observer) {
  for (const Channel& def : channels) {
    auto state = std::make_unique<ChannelState>(def, open_ledger(def.name), scheduler_, *this);
    if (state->ledger->height() == 0) create_genesis(*state, def.genesis_data);
    channels_.emplace(def.name, std::move(state));
  }
}

Orderer::~Orderer() = default;

void Orderer::create_genesis(ChannelState& channel, const std::string& data) {
  common::Block block =
      ledger::make_block(0, "", {genesis_envelope(channel.name, data, identity_, clock_())});
  ledger::sign_block(block, identity_.serialized, identity_.sign, metadata_value());
  const std::string bytes = block.SerializeAsString();
  const ledger::AppendResult result = channel.ledger->append(block, bytes);
  if (!result.ok) {
    throw std::runtime_error(fmt::format("channel {}: cannot append the genesis block: {}",
                                         channel.name, result.detail));
  }
  if (observer_) observer_->on_block_appended(channel.name, 0, 1);
}

void Orderer::order(const std::string& channel, std::string envelope_bytes, Reply reply) {
  auto it = channels_.find(channel);
  if (stopped_) return reply(common::SERVICE_UNAVAILABLE, "the orderer is stopping");
  if (it == channels_.end()) {
    return reply(common::NOT_FOUND, fmt::format("channel {:?} does not exist", channel));
  }
  const std::uint64_t ticket = next_ticket_++;
  replies_.emplace(ticket, std::move(reply));
  it->second->cutter.add({std::move(envelope_bytes), ticket});
}

void Orderer::broadcast(const RequestValidator& validator, std::string_view envelope_bytes,
                        Reply reply) {
  BroadcastVerdict verdict = validator.check_broadcast(envelope_bytes);
  if (verdict.status != common::SUCCESS) return reply(verdict.status, verdict.info);
  order(verdict.channel, std::string(envelope_bytes), std::move(reply));
}

void Orderer::append_batch(ChannelState& channel, Batch batch) {
  std::vector<std::string> envelopes;
  std::vector<std::uint64_t> tickets;
  envelopes.reserve(batch.size());
  tickets.reserve(batch.size());
  for (PendingEnvelope& pending : batch) {
    envelopes.push_back(std::move(pending.bytes));
    tickets.push_back(pending.ticket);
  }
  // Number and previous hash from the ledger itself, so a failed write never
  // leaves a builder out of step with what is stored.
  const std::uint64_t number = channel.ledger->staged_height();
  common::Block block =
      ledger::make_block(number, channel.ledger->staged_last_header_hash(), std::move(envelopes));
  ledger::sign_block(block, identity_.serialized, identity_.sign, metadata_value());
  // Marshalled once: these bytes are stored, hashed into the next block's header
  // chain and sent to every Deliver session.
  auto bytes = std::make_shared<const std::string>(block.SerializeAsString());
  const ledger::AppendResult result = channel.ledger->stage(block, *bytes);
  if (!result.ok) {
    const std::string why = fmt::format("block {} was not stored: {}", number, result.detail);
    if (observer_) observer_->on_append_failed(channel.name, why);
    answer(tickets, common::SERVICE_UNAVAILABLE, why);
    return;
  }
  channel.uncommitted.push_back({number, std::move(tickets), std::move(bytes)});
  if (channel.ledger->height() > number) {
    committed(channel);  // a ledger without group commit stored it already
  } else if (!channel.commit_timer.armed()) {
    // After the envelopes already queued on the loop: they cut more blocks that
    // share this commit's sync.
    channel.commit_timer.arm(runtime::Duration::zero(), [this, &channel] { commit(channel); });
  }
}

void Orderer::answer(const std::vector<std::uint64_t>& tickets, common::Status status,
                     const std::string& info) {
  for (const std::uint64_t ticket : tickets) {
    auto reply = replies_.extract(ticket);
    if (!reply.empty()) reply.mapped()(status, info);
  }
}

void Orderer::commit(ChannelState& channel) {
  channel.commit_timer.cancel();
  if (channel.uncommitted.empty()) return;
  const ledger::AppendResult result = channel.ledger->commit();
  if (!result.ok) {
    auto failed = std::move(channel.uncommitted);
    channel.uncommitted.clear();
    for (const auto& block : failed) {
      const std::string why =
          fmt::format("block {} was not stored: {}", block.number, result.detail);
      if (observer_) observer_->on_append_failed(channel.name, why);
      answer(block.tickets, common::SERVICE_UNAVAILABLE, why);
    }
    return;
  }
  committed(channel);
}

// Every uncommitted block is durable now: acknowledge its envelopes (never before)
// and wake the sessions waiting at the head.
void Orderer::committed(ChannelState& channel) {
  auto done = std::move(channel.uncommitted);
  channel.uncommitted.clear();
  for (auto& block : done) {
    if (observer_) observer_->on_block_appended(channel.name, block.number, block.tickets.size());
    answer(block.tickets, common::SUCCESS, "");
    channel.remember(block.number, std::move(block.bytes));
  }
  std::set<SessionId> waiting;
  waiting.swap(channel.waiting);
  for (SessionId id : waiting) {
    auto it = sessions_.find(id);
    if (it != sessions_.end()) pump(*it->second);
  }
}

Orderer::SessionId Orderer::open_deliver(std::shared_ptr<DeliverSink> sink) {
  auto session = std::make_unique<Session>();
  session->id = next_session_++;
  session->sink = std::move(sink);
  const SessionId id = session->id;
  sessions_.emplace(id, std::move(session));
  return id;
}

void Orderer::deliver_request(SessionId id, DeliverVerdict request) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->ended) return;
  Session& session = *it->second;
  session.requests.push_back(std::move(request));
  if (!session.active) start_seek(session);
}

void Orderer::deliver_ready(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  it->second->blocked = false;
  if (it->second->active) pump(*it->second);
}

void Orderer::close_deliver(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  if (it->second->channel) it->second->channel->waiting.erase(id);
  sessions_.erase(it);
}

void Orderer::start_seek(Session& session) {
  while (!session.active && !session.ended && !session.requests.empty()) {
    DeliverVerdict request = std::move(session.requests.front());
    session.requests.pop_front();
    if (request.status != common::SUCCESS) {
      finish_seek(session, request.status, request.info);
      continue;
    }
    auto channel = channels_.find(request.channel);
    if (channel == channels_.end()) {
      finish_seek(session, common::NOT_FOUND,
                  fmt::format("channel {:?} does not exist", request.channel));
      continue;
    }
    ChannelState& state = *channel->second;
    const std::uint64_t height = state.ledger->height();
    const ::orderer::SeekInfo& seek = request.seek_info;
    // Fabric's positions: newest is the last block now, next_commit the one to come.
    const auto position = [height](const ::orderer::SeekPosition& p, std::uint64_t& out) -> bool {
      switch (p.Type_case()) {
        case ::orderer::SeekPosition::kOldest:
          out = 0;
          return true;
        case ::orderer::SeekPosition::kNewest:
          out = height == 0 ? 0 : height - 1;
          return true;
        case ::orderer::SeekPosition::kSpecified:
          out = p.specified().number();
          return true;
        case ::orderer::SeekPosition::kNextCommit:
          out = height;
          return true;
        default:
          return false;
      }
    };
    std::uint64_t start = 0, stop = 0;
    if (!seek.has_start() || !position(seek.start(), start)) {
      finish_seek(session, common::BAD_REQUEST, "SeekInfo has no start position");
      continue;
    }
    if (!seek.has_stop() || !position(seek.stop(), stop)) {
      finish_seek(session, common::BAD_REQUEST, "SeekInfo has no stop position");
      continue;
    }
    if (seek.behavior() == ::orderer::SeekInfo::FAIL_IF_NOT_READY && start >= height) {
      finish_seek(
          session, common::NOT_FOUND,
          fmt::format("block {} is beyond the height {} of channel {}", start, height, state.name));
      continue;
    }
    if (stop < start) {
      finish_seek(session, common::BAD_REQUEST,
                  fmt::format("start {} is after stop {}", start, stop));
      continue;
    }
    session.active = true;
    session.channel = &state;
    session.next = start;
    session.stop = stop;
    session.behavior = seek.behavior();
    session.creator = std::move(request.creator);
    session.identity_expires = request.identity_expires;
    session.access_sequence = state.access_sequence;
    pump(session);
  }
}

void Orderer::pump(Session& session) {
  if (!session.active || session.blocked) return;
  ChannelState& channel = *session.channel;
  std::size_t sent = 0;
  while (true) {
    if (session.next > session.stop) break;
    if (session.next >= channel.ledger->height()) {
      if (session.behavior == ::orderer::SeekInfo::FAIL_IF_NOT_READY) break;
      channel.waiting.insert(session.id);
      break;
    }
    if (std::string why = access_problem(session); !why.empty()) {
      if (sent > 0 && observer_) observer_->on_blocks_sent(channel.name, sent);
      finish_seek(session, common::FORBIDDEN, why);
      return;
    }
    bool room = false;
    if (auto recent = channel.recent_block(session.next)) {
      room = session.sink->send_block(session.next, *recent);
    } else {
      const std::optional<std::string> bytes = channel.ledger->block_bytes(session.next);
      if (!bytes) break;  // not expected below height
      room = session.sink->send_block(session.next, *bytes);
    }
    ++sent;
    const bool last = session.next == std::numeric_limits<std::uint64_t>::max();
    ++session.next;
    if (last) break;
    if (!room) {
      session.blocked = true;
      break;
    }
  }
  if (sent > 0 && observer_) observer_->on_blocks_sent(channel.name, sent);
  if (session.blocked) return;
  if (session.next > session.stop) {
    finish_seek(session, common::SUCCESS, "");
    start_seek(session);
  } else if (session.next >= channel.ledger->height() &&
             session.behavior == ::orderer::SeekInfo::FAIL_IF_NOT_READY) {
    finish_seek(
        session, common::NOT_FOUND,
        fmt::format("block {} is beyond the height of channel {}", session.next, channel.name));
  }
}

std::string Orderer::access_problem(Session& session) {
  ChannelState& channel = *session.channel;
  const auto now = clock_();
  if (now >= session.identity_expires) {
    return fmt::format("the requester's certificate expired at {:%Y-%m-%dT%H:%M:%SZ}",
                       std::chrono::floor<std::chrono::seconds>(session.identity_expires));
  }
  if (session.access_sequence != channel.access_sequence) {
    session.access_sequence = channel.access_sequence;
    if (access_check_) return access_check_(channel.name, session.creator);
  }
  return {};
}

void Orderer::access_changed(std::string_view name) {
  auto it = channels_.find(name);
  if (it == channels_.end()) return;
  ++it->second->access_sequence;
}

void Orderer::finish_seek(Session& session, common::Status status, const std::string& info) {
  if (session.channel) {
    session.channel->waiting.erase(session.id);
    if (observer_) observer_->on_deliver_done(session.channel->name, status);
  }
  session.active = false;
  session.channel = nullptr;
  if (status != common::SUCCESS) {
    session.ended = true;
    session.requests.clear();
  }
  session.sink->send_status(status, info);
}

void Orderer::stop() {
  if (stopped_) return;
  stopped_ = true;
  // Pending envelopes are cut so that those already accepted are stored and acked.
  for (auto& [name, channel] : channels_) {
    channel->cutter.cut_now();
    commit(*channel);
  }
}

const ledger::Ledger* Orderer::ledger(std::string_view channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : it->second->ledger.get();
}

std::vector<std::string> Orderer::channel_names() const {
  std::vector<std::string> names;
  for (const auto& [name, channel] : channels_) names.push_back(name);
  return names;
}

}  // namespace fabnet::orderer
