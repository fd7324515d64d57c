#include "sim/sim_blocks.h"

#include <cmath>

#include <fmt/format.h>

#include "config/duration.h"
#include "ledger/block_builder.h"
#include "ledger/block_hash.h"
#include "ledger/chain.h"
#include "orderer/ab.pb.h"

namespace fabnet::sim {

using config::format_duration;

std::optional<std::string> SimLedger::block_bytes(std::uint64_t number) const {
  if (number >= blocks_.size()) return std::nullopt;
  return *blocks_[number];
}

std::optional<common::Block> SimLedger::block(std::uint64_t number) const {
  if (number >= blocks_.size()) return std::nullopt;
  common::Block parsed;
  if (!parsed.ParseFromString(*blocks_[number])) return std::nullopt;
  return parsed;
}

ledger::AppendResult SimLedger::append(const common::Block& block, std::string_view bytes) {
  const std::uint64_t number = blocks_.size();
  ledger::AppendResult link = ledger::check_chain_link(block, number, last_hash_);
  if (!link.ok) return link;
  std::string hash = ledger::header_hash(block.header());
  if (number < truth_.height() && *truth_.bytes(number) == bytes) {
    blocks_.push_back(truth_.bytes(number));
  } else {
    blocks_.push_back(std::make_shared<const std::string>(bytes));
  }
  last_hash_ = std::move(hash);
  if (on_append_) on_append_(number);
  return ledger::accepted();
}

void SimLedger::corrupt_for_test(std::uint64_t number, std::string bytes) {
  blocks_.at(number) = std::make_shared<const std::string>(std::move(bytes));
  if (number + 1 == blocks_.size()) {
    common::Block parsed;
    parsed.ParseFromString(*blocks_[number]);
    last_hash_ = ledger::header_hash(parsed.header());
  }
}

void SimLedger::truncate_for_test() {
  if (blocks_.empty()) return;
  blocks_.pop_back();
  last_hash_.clear();
  if (!blocks_.empty()) {
    common::Block parsed;
    parsed.ParseFromString(*blocks_.back());
    last_hash_ = ledger::header_hash(parsed.header());
  }
}

namespace {

// The header hash of block `number` as `ledger` holds it now ("" if it cannot tell).
std::string held_hash(const ledger::Ledger& ledger, std::uint64_t number) {
  if (number + 1 == ledger.height()) return ledger.last_header_hash();
  const std::optional<common::Block> block = ledger.block(number);
  return block ? ledger::header_hash(block->header()) : std::string();
}

}  // namespace

void ChainWatch::observe(const ledger::Ledger& ledger, const OrdererChain& truth,
                         std::string_view who, TimePoint now, std::vector<std::string>& problems) {
  const std::uint64_t height = ledger.height();
  const std::string at = format_duration(now);
  if (height < height_) {
    problems.push_back(
        fmt::format("t={}: {}: ledger height went down from {} to {}", at, who, height_, height));
  } else if (height_ > 0 && held_hash(ledger, height_ - 1) != last_hash_) {
    problems.push_back(
        fmt::format("t={}: {}: committed block {} was replaced", at, who, height_ - 1));
  }
  if (height > 0) {
    const std::string last = ledger.last_header_hash();
    if (height > truth.height()) {
      problems.push_back(fmt::format("t={}: {}: holds {} blocks, the orderer cut only {}", at, who,
                                     height, truth.height()));
    } else if (last != truth.header_hash(height - 1)) {
      problems.push_back(
          fmt::format("t={}: {}: block {} differs from the orderer's", at, who, height - 1));
    }
    last_hash_ = last;
  } else {
    last_hash_.clear();
  }
  height_ = height;
}

std::string compare_with_orderer(const ledger::Ledger& ledger, const OrdererChain& truth,
                                 bool exact, std::uint64_t min_height) {
  const std::uint64_t height = ledger.height();
  if (exact && height != truth.height()) {
    return fmt::format("height {}, the orderer's is {}", height, truth.height());
  }
  if (!exact && height < min_height) {
    return fmt::format("height {}, below the {} blocks the orderer cut before the settling time",
                       height, min_height);
  }
  if (height == 0) return {};
  if (height > truth.height()) {
    return fmt::format("height {} above the orderer's {}", height, truth.height());
  }
  if (ledger.last_header_hash() != truth.header_hash(height - 1)) {
    return fmt::format("last block {} differs from the orderer's", height - 1);
  }
  return {};
}

// --- the ordering service -------------------------------------------------

struct SimOrderer::Stream {
  std::uint64_t id = 0;
  runtime::Scheduler* clock = nullptr;
  std::size_t peer = 0;
  deliver::OrdererConnector::EventHandler on_event;
  std::uint64_t next = 0;          // next block to send
  bool closed = false;             // by the client: nothing more runs
  runtime::TimePoint last_due{0};  // events arrive in order, `latency` apart at least
};

struct SimOrderer::Handle final : deliver::OrdererStream {
  Handle(SimOrderer& o, std::shared_ptr<Stream> s) : orderer(o), stream(std::move(s)) {}
  ~Handle() override {
    stream->closed = true;
    orderer.streams_.erase(stream->id);
  }
  SimOrderer& orderer;
  std::shared_ptr<Stream> stream;
};

SimOrderer::SimOrderer(std::string channel, const BlockSpec& spec, runtime::Scheduler& scheduler,
                       OnCut on_cut)
    : channel_(std::move(channel)),
      spec_(spec),
      scheduler_(scheduler),
      on_cut_(std::move(on_cut)),
      crypto_(std::string(kOrdererMspId), std::string(kOrdererName)),
      timer_(scheduler) {}

SimOrderer::~SimOrderer() {
  for (auto& [id, stream] : streams_) stream->closed = true;
}

const std::string& SimOrderer::identity() {
  static const std::string id =
      SimCrypto::make_identity(std::string(kOrdererMspId), std::string(kOrdererName));
  return id;
}

void SimOrderer::start(Duration end_of_run) {
  until_ = spec_.until.value_or(end_of_run);
  const Duration first = spec_.from - scheduler_.now();
  timer_.arm(std::max(first, Duration::zero()), [this] { cut(); });
}

void SimOrderer::cut() {
  // Cut k falls at from + k / rate, computed from k so that rounding never drifts.
  const std::uint64_t number = chain_.height();
  std::vector<std::string> envelopes;
  envelopes.reserve(static_cast<std::size_t>(spec_.envelopes));
  for (int i = 0; i < spec_.envelopes; ++i) {
    common::ChannelHeader header;
    header.set_type(common::ENDORSER_TRANSACTION);
    header.set_channel_id(channel_);
    header.set_tx_id(fmt::format("{}-{}-{}", channel_, number, i));
    common::Payload payload;
    payload.mutable_header()->set_channel_header(header.SerializeAsString());
    payload.set_data(std::string(static_cast<std::size_t>(spec_.envelope_bytes), 'x'));
    common::Envelope envelope;
    envelope.set_payload(payload.SerializeAsString());
    envelope.set_signature(crypto_.sign(envelope.payload()));
    envelopes.push_back(envelope.SerializeAsString());
  }
  common::Block block = ledger::make_block(number, previous_hash_, std::move(envelopes));
  // A nonce from the block number: cryptographic randomness would make runs differ.
  std::string nonce(24, '\0');
  for (std::size_t i = 0; i < 8; ++i) nonce[i] = static_cast<char>((number >> (8 * i)) & 0xff);
  ledger::sign_block(
      block, identity(), [this](std::string_view p) { return crypto_.sign(p); }, {}, nonce);
  previous_hash_ = ledger::header_hash(block.header());
  chain_.add(std::make_shared<const std::string>(block.SerializeAsString()), previous_hash_,
             scheduler_.now());
  ++cuts_;
  if (on_cut_) on_cut_(number);
  for (const auto& [id, stream] : streams_) pump(stream);

  const auto due = [&](std::uint64_t k) {
    return spec_.from + Duration(static_cast<std::int64_t>(
                            std::llround(static_cast<double>(k) * 1e9 / spec_.rate)));
  };
  const TimePoint next = due(cuts_);
  if (next < until_) timer_.arm(next - scheduler_.now(), [this] { cut(); });
}

void SimOrderer::post(const std::shared_ptr<Stream>& stream, deliver::OrdererEvent event) {
  runtime::Scheduler& clock = *stream->clock;
  const runtime::TimePoint due = std::max(clock.now(), stream->last_due) + spec_.orderer_latency;
  stream->last_due = due;
  clock.schedule(due - clock.now(), [stream, event = std::move(event)]() mutable {
    if (!stream->closed) stream->on_event(std::move(event));
  });
}

void SimOrderer::pump(const std::shared_ptr<Stream>& stream) {
  while (stream->next < chain_.height()) {
    post(stream,
         {deliver::OrdererEvent::Kind::kBlock, *chain_.bytes(stream->next++), common::UNKNOWN, {}});
  }
}

void SimOrderer::end_streams(deliver::OrdererEvent event) {
  for (auto& [id, stream] : streams_) post(stream, event);
  streams_.clear();
}

void SimOrderer::set_down(bool down) {
  down_ = down;
  if (down)
    end_streams({deliver::OrdererEvent::Kind::kFailed, {}, common::UNKNOWN, "orderer down"});
}

void SimOrderer::set_refusing(std::optional<common::Status> status) {
  refusing_ = status;
  if (status) end_streams({deliver::OrdererEvent::Kind::kStatus, {}, *status, {}});
}

void SimOrderer::recheck_reachability() {
  if (!reachable_) return;
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (reachable_(it->second->peer)) {
      ++it;
      continue;
    }
    post(it->second, {deliver::OrdererEvent::Kind::kFailed,
                      {},
                      common::UNKNOWN,
                      "orderer unreachable (partition)"});
    it = streams_.erase(it);
  }
}

std::unique_ptr<deliver::OrdererStream> SimOrderer::open(
    runtime::Scheduler& clock, std::size_t peer, const std::string& seek_envelope,
    deliver::OrdererConnector::EventHandler on_event) {
  auto stream = std::make_shared<Stream>();
  stream->id = next_stream_++;
  stream->clock = &clock;
  stream->peer = peer;
  stream->on_event = std::move(on_event);
  std::uint64_t start = 0;
  bool parsed = false;
  common::Envelope envelope;
  common::Payload payload;
  common::ChannelHeader header;
  orderer::SeekInfo seek;
  if (envelope.ParseFromString(seek_envelope) && payload.ParseFromString(envelope.payload()) &&
      header.ParseFromString(payload.header().channel_header()) &&
      seek.ParseFromString(payload.data())) {
    parsed = true;
    start = seek.start().specified().number();
  }
  using Kind = deliver::OrdererEvent::Kind;
  if (down_) {
    post(stream, {Kind::kFailed, {}, common::UNKNOWN, "connection refused"});
  } else if (reachable_ && !reachable_(peer)) {
    post(stream, {Kind::kFailed, {}, common::UNKNOWN, "orderer unreachable (partition)"});
  } else if (refusing_) {
    post(stream, {Kind::kStatus, {}, *refusing_, {}});
  } else if (!parsed || header.channel_id() != channel_) {
    post(stream, {Kind::kStatus, {}, common::BAD_REQUEST, {}});
  } else {
    // A seek past the end waits for that block (BLOCK_UNTIL_READY), as Fabric's does.
    post(stream, {Kind::kConnected, {}, common::UNKNOWN, {}});
    stream->next = start;
    streams_[stream->id] = stream;
    pump(stream);
  }
  return std::make_unique<Handle>(*this, stream);
}

std::unique_ptr<deliver::OrdererStream> OrdererLink::open(const std::string& /*endpoint*/,
                                                          std::string seek_envelope,
                                                          EventHandler on_event) {
  return orderer_.open(clock_, peer_, seek_envelope, std::move(on_event));
}

}  // namespace fabnet::sim
