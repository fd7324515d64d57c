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
  *alive_ = false;
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
  if (logic != nullptr && p.logic != logic) ++p.incarnation;
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

Duration SimNetwork::next_delay() {
  const std::int64_t jitter = std::max<std::int64_t>(link_.jitter.count(), 0);
  return std::max(link_.latency, Duration::zero()) +
         Duration(jitter == 0 ? 0 : draw_between(random_, 0, jitter));
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
  if (draw_chance(random_, link_.loss)) {
    ++totals_.lost;
    log_.record(now, sender, "lost", kind, *receiver);
    return;
  }
  const int copies = draw_chance(random_, link_.duplicate) ? 2 : 1;
  if (copies == 2) ++totals_.duplicated;
  const std::uint64_t incarnation = peers_[*receiver].incarnation;
  for (int i = 0; i < copies; ++i) {
    scheduler_.schedule(
        next_delay(), [this, alive = alive_, sender, to = *receiver, incarnation, message, index] {
          if (*alive) deliver(sender, to, incarnation, message, index);
        });
  }
}

void SimNetwork::deliver(PeerIndex sender, PeerIndex receiver, std::uint64_t incarnation,
                         const gossip::MessagePtr& message, int content_index) {
  Peer& to = peers_[receiver];
  const std::string_view kind = content_names_[static_cast<std::size_t>(content_index)];
  // Lost if the receiver died (or restarted) or hung meanwhile, or a partition
  // now cuts the link: gossip tolerates loss.
  if (!is_up(receiver) || to.incarnation != incarnation || blocked(sender, receiver)) {
    ++totals_.blocked;
    log_.record(scheduler_.now(), receiver, "missed", kind, sender);
    return;
  }
  log_.record(scheduler_.now(), receiver, "recv", kind, sender);
  to.logic->on_message(peers_[sender].connection, message);
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
