#include "sim/network.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/duration.h"
#include "gossip/message.h"
#include "sim/random.h"

namespace fabnet::sim {

void EventLog::mix(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    hash_ ^= bytes[i];
    hash_ *= 0x100000001b3ULL;
  }
}

void EventLog::record(TimePoint at, PeerIndex peer, std::string_view kind, std::string_view detail,
                      std::uint64_t number) {
  ++count_;
  // Fixed-width fields and length prefixes keep distinct events from hashing
  // as the same byte string.
  const std::int64_t when = at.count();
  const std::uint64_t who = peer;
  const std::uint64_t sizes = (kind.size() << 32) | detail.size();
  mix(&when, sizeof when);
  mix(&who, sizeof who);
  mix(&sizes, sizeof sizes);
  mix(kind.data(), kind.size());
  mix(detail.data(), detail.size());
  mix(&number, sizeof number);
  if (sink_) {
    sink_(fmt::format("{:>15} {:>6} {} {} {}", at.count(),
                      peer == kNoPeer ? std::string("-") : std::to_string(peer), kind, detail,
                      number));
  }
}

std::string EventLog::hex() const {
  return fmt::format("{:016x}", hash_);
}

class SimNetwork::PeerTransport final : public node::Transport {
 public:
  PeerTransport(SimNetwork& network, PeerIndex self) : network_(network), self_(self) {}

  void send(const gossip::PeerId& to, const std::string& endpoint,
            gossip::MessagePtr message) override {
    auto it = network_.by_endpoint_.find(endpoint);
    std::optional<PeerIndex> receiver;
    // As after a real handshake: the endpoint must hold the expected PKI-ID.
    if (it != network_.by_endpoint_.end() && network_.peers_[it->second].connection.pki_id == to) {
      receiver = it->second;
    }
    network_.send(self_, receiver, message);
  }

  void send_to_endpoint(const std::string& endpoint, gossip::MessagePtr message) override {
    auto it = network_.by_endpoint_.find(endpoint);
    network_.send(
        self_,
        it == network_.by_endpoint_.end() ? std::nullopt : std::optional<PeerIndex>(it->second),
        message);
  }

 private:
  SimNetwork& network_;
  PeerIndex self_;
};

SimNetwork::SimNetwork(runtime::VirtualScheduler& scheduler, std::uint64_t seed, LinkModel link,
                       EventLog& log)
    : scheduler_(scheduler), random_(seed), link_(link), log_(log) {}

SimNetwork::~SimNetwork() {
  if (delivery_timer_ != runtime::kNoTimer) scheduler_.cancel(delivery_timer_);
}

PeerIndex SimNetwork::add_peer(const gossip::PeerId& id, const std::string& identity,
                               const std::string& endpoint, std::string name) {
  const PeerIndex index = peers_.size();
  Peer& peer = peers_.emplace_back();
  peer.name = std::move(name);
  peer.connection = gossip::ConnectionInfo{id, identity, endpoint};
  peer.transport = std::make_unique<PeerTransport>(*this, index);
  by_endpoint_.emplace(endpoint, index);
  by_name_.emplace(peer.name, index);
  peer_links_.emplace_back();
  for (Cut& cut : cuts_) {
    cut.side.push_back(Cut::kRestSide);
    cut.from.push_back(false);
    cut.to.push_back(false);
  }
  return index;
}

std::optional<PeerIndex> SimNetwork::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

node::Transport& SimNetwork::transport(PeerIndex peer) {
  return *peers_[peer].transport;
}

void SimNetwork::attach(PeerIndex peer, SimPeer* logic) {
  Peer& p = peers_[peer];
  if (logic != nullptr && p.logic != logic) p.attached_epoch = ++epoch_;
  p.logic = logic;
  p.paused = false;
}

void SimNetwork::set_paused(PeerIndex peer, bool paused) {
  peers_[peer].paused = paused;
}

bool SimNetwork::is_up(PeerIndex peer) const {
  return peers_[peer].logic != nullptr && !peers_[peer].paused;
}

void SimNetwork::add_cut(Cut cut) {
  cut.side.resize(peers_.size(), Cut::kRestSide);
  cut.from.resize(peers_.size(), false);
  cut.to.resize(peers_.size(), false);
  cuts_.push_back(std::move(cut));
}

void SimNetwork::heal(std::string_view name) {
  std::erase_if(cuts_, [&](const Cut& cut) { return name.empty() || cut.name == name; });
}

bool SimNetwork::blocked(PeerIndex sender, PeerIndex receiver) const {
  for (const Cut& cut : cuts_) {
    if (cut.blocks(sender, receiver)) return true;
  }
  return false;
}

std::string_view SimNetwork::content(const gossip::MessagePtr& message, int* index) {
  const int c = static_cast<int>(message->message.content_case());
  if (static_cast<std::size_t>(c) >= content_names_.size()) {
    content_names_.resize(static_cast<std::size_t>(c) + 1);
    sent_count_.resize(content_names_.size(), 0);
    sent_bytes_.resize(content_names_.size(), 0);
  }
  std::string& name = content_names_[static_cast<std::size_t>(c)];
  if (name.empty()) name = std::string(gossip::content_name(message->message));
  *index = c;
  return name;
}

namespace {

void merge(LinkChange& into, const LinkChange& change) {
  if (change.latency) into.latency = change.latency;
  if (change.jitter) into.jitter = change.jitter;
  if (change.loss) into.loss = change.loss;
  if (change.duplicate) into.duplicate = change.duplicate;
}

void apply(LinkModel& link, const LinkChange& change) {
  link.latency = change.latency.value_or(link.latency);
  link.jitter = change.jitter.value_or(link.jitter);
  link.loss = change.loss.value_or(link.loss);
  link.duplicate = change.duplicate.value_or(link.duplicate);
}

}  // namespace

void SimNetwork::change_peer_link(PeerIndex peer, const LinkChange& change) {
  merge(peer_links_[peer], change);
  link_overrides_ = true;
}

void SimNetwork::change_pair_link(PeerIndex a, PeerIndex b, const LinkChange& change) {
  merge(pair_links_[{std::min(a, b), std::max(a, b)}], change);
  link_overrides_ = true;
}

LinkModel SimNetwork::link_between(PeerIndex sender, PeerIndex receiver) const {
  LinkModel link = link_;
  if (!link_overrides_) return link;
  apply(link, peer_links_[receiver]);
  apply(link, peer_links_[sender]);
  if (auto it = pair_links_.find({std::min(sender, receiver), std::max(sender, receiver)});
      it != pair_links_.end()) {
    apply(link, it->second);
  }
  return link;
}

Duration SimNetwork::next_delay(const LinkModel& link) {
  const std::int64_t jitter = std::max<std::int64_t>(link.jitter.count(), 0);
  return std::max(link.latency, Duration::zero()) +
         Duration(jitter == 0 ? 0 : draw_between(random_, 0, jitter));
}

// The consecutive sends of one broadcast (same sender, message and instant)
// share one record.
std::uint32_t SimNetwork::record_for(PeerIndex sender, const gossip::MessagePtr& message,
                                     int content) {
  const TimePoint now = scheduler_.now();
  if (last_record_) {
    const SendRecord& r = records_[*last_record_];
    if (r.pending > 0 && r.message == message && r.sender == sender && r.sent_at == now &&
        r.epoch == epoch_) {
      return *last_record_;
    }
  }
  std::uint32_t index = 0;
  if (!free_records_.empty()) {
    index = free_records_.back();
    free_records_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(records_.size());
    records_.emplace_back();
  }
  records_[index] = SendRecord{message, sender, content, now, epoch_, 0};
  last_record_ = index;
  return index;
}

void SimNetwork::send(PeerIndex sender, std::optional<PeerIndex> receiver,
                      const gossip::MessagePtr& message) {
  const TimePoint now = scheduler_.now();
  int index = 0;
  const std::string_view kind = content(message, &index);
  if (!is_up(sender)) {
    // A crashed or hung process has no running code: a send is a simulator or
    // node bug (e.g. a timer that outlived stop()).
    violations_.push_back(fmt::format("t={}: {} sent {} while {}", config::format_duration(now),
                                      peers_[sender].name, kind,
                                      peers_[sender].paused ? "paused" : "down"));
    ++totals_.blocked;
    return;
  }
  ++sent_count_[static_cast<std::size_t>(index)];
  sent_bytes_[static_cast<std::size_t>(index)] += message->wire_size();
  if (send_observer_) send_observer_(sender, message);
  if (!receiver) {
    ++totals_.unroutable;
    log_.record(now, sender, "unroutable", kind);
    return;
  }
  log_.record(now, sender, "send", kind, *receiver);
  if (blocked(sender, *receiver) || !is_up(*receiver)) {
    ++totals_.blocked;
    return;
  }
  const LinkModel link = link_between(sender, *receiver);
  if (draw_chance(random_, link.loss)) {
    ++totals_.lost;
    log_.record(now, sender, "lost", kind, *receiver);
    return;
  }
  const int copies = draw_chance(random_, link.duplicate) ? 2 : 1;
  if (copies == 2) ++totals_.duplicated;
  const std::uint32_t record = record_for(sender, message, index);
  for (int i = 0; i < copies; ++i) {
    deliveries_.push(now + next_delay(link),
                     DeliveryQueue::Delivery{record, static_cast<std::uint32_t>(*receiver)});
    ++records_[record].pending;
  }
  arm_delivery();
}

// One timer for the whole queue, armed for its earliest delivery.
void SimNetwork::arm_delivery() {
  if (deliveries_.empty()) return;
  const TimePoint due = deliveries_.next_due();
  if (delivery_timer_ != runtime::kNoTimer) {
    if (delivery_at_ <= due) return;
    scheduler_.cancel(delivery_timer_);
  }
  delivery_at_ = due;
  delivery_timer_ = scheduler_.schedule(due - scheduler_.now(), [this] {
    delivery_timer_ = runtime::kNoTimer;
    deliver_due();
  });
}

void SimNetwork::deliver_due() {
  // Not re-entered: deliveries only push, and arm the timer for later.
  batch_.clear();
  deliveries_.pop_due(batch_);
  for (const DeliveryQueue::Delivery& d : batch_) {
    SendRecord& record = records_[d.record];  // a deque: stable while sends add records
    deliver(record, d.receiver);
    if (--record.pending == 0) {
      record.message.reset();
      free_records_.push_back(d.record);
      if (last_record_ == d.record) last_record_.reset();
    }
  }
  arm_delivery();
}

void SimNetwork::deliver(const SendRecord& record, PeerIndex receiver) {
  Peer& to = peers_[receiver];
  const std::string_view kind = content_names_[static_cast<std::size_t>(record.content)];
  // Lost if the receiver died (or restarted) or hung meanwhile, or a partition
  // now cuts the link: gossip tolerates loss.
  if (!is_up(receiver) || to.attached_epoch > record.epoch || blocked(record.sender, receiver)) {
    ++totals_.blocked;
    log_.record(scheduler_.now(), receiver, "missed", kind, record.sender);
    return;
  }
  log_.record(scheduler_.now(), receiver, "recv", kind, record.sender);
  to.logic->on_message(peers_[record.sender].connection, record.message);
}

MessageStats SimNetwork::stats() const {
  MessageStats stats = totals_;
  for (std::size_t c = 0; c < content_names_.size(); ++c) {
    if (sent_count_[c] == 0) continue;
    stats.count[content_names_[c]] += sent_count_[c];
    stats.bytes[content_names_[c]] += sent_bytes_[c];
  }
  return stats;
}

}  // namespace fabnet::sim
