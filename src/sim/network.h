#pragma once

// The simulated network: every peer's Transport, one shared virtual clock and
// one seeded random source, a link model (latency, jitter, loss, duplication),
// partitions, and the accounting of what was sent.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gossip/message.h"
#include "node/transport.h"
#include "runtime/virtual_scheduler.h"
#include "sim/delivery_queue.h"
#include "sim/scenario.h"
#include "sim/sim_peer.h"
#include "sim/sim_result.h"

namespace fabnet::sim {

using PeerIndex = std::size_t;

// The ordered record of a run, folded into a 64-bit FNV-1a hash: two runs with
// the same inputs produce the same hash, and almost any difference in order,
// timing or content changes it. An optional sink receives each event as text.
class EventLog {
 public:
  using Sink = std::function<void(std::string_view line)>;

  void set_sink(Sink sink) { sink_ = std::move(sink); }
  bool has_sink() const { return static_cast<bool>(sink_); }

  // One event: when, which peer (or kNoPeer), what, and details.
  void record(TimePoint at, PeerIndex peer, std::string_view kind, std::string_view detail = {},
              std::uint64_t number = 0);
  std::uint64_t count() const { return count_; }
  std::uint64_t hash() const { return hash_; }
  std::string hex() const;

  static constexpr PeerIndex kNoPeer = static_cast<PeerIndex>(-1);

 private:
  void mix(const void* data, std::size_t size);

  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
  std::uint64_t count_ = 0;
  Sink sink_;
};

// A partition: either sides (peers on different sides cannot reach each other;
// peers on no side form one more side) or one way (from -> to is cut).
struct Cut {
  std::string name;
  bool one_way = false;
  std::vector<int> side;   // per peer; kRestSide for unlisted peers
  std::vector<bool> from;  // one way: per peer
  std::vector<bool> to;
  static constexpr int kRestSide = -1;

  bool blocks(PeerIndex sender, PeerIndex receiver) const {
    if (one_way) return from[sender] && to[receiver];
    return side[sender] != side[receiver];
  }
};

class SimNetwork {
 public:
  SimNetwork(runtime::VirtualScheduler& scheduler, std::uint64_t seed, LinkModel link,
             EventLog& log);
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // Registers a peer reachable at `endpoint`; returns its index (0, 1, ...).
  PeerIndex add_peer(const gossip::PeerId& id, const std::string& identity,
                     const std::string& endpoint, std::string name);
  std::size_t peer_count() const { return peers_.size(); }
  const std::string& name(PeerIndex peer) const { return peers_[peer].name; }
  std::optional<PeerIndex> find(std::string_view name) const;

  // The transport a peer's node sends through.
  node::Transport& transport(PeerIndex peer);

  // The logic that receives for `peer`; nullptr while it is down (not started or
  // crashed). Re-attaching starts a new incarnation: messages addressed to the
  // previous one are lost, as its connections died with it.
  void attach(PeerIndex peer, SimPeer* logic);
  // A paused peer neither sends nor receives; messages reaching it are lost.
  void set_paused(PeerIndex peer, bool paused);
  bool is_up(PeerIndex peer) const;

  // The run's one random source (link model, start offsets).
  std::mt19937_64& random() { return random_; }

  // The link model every message uses unless a peer or pair override applies.
  const LinkModel& link() const { return link_; }
  void set_link(const LinkModel& link) { link_ = link; }
  // Overrides for messages from or to `peer` (merged into earlier ones), and for
  // the pair a <-> b. On a message, pair fields win over the sender's, the
  // sender's over the receiver's, and those over the global link.
  void change_peer_link(PeerIndex peer, const LinkChange& change);
  void change_pair_link(PeerIndex a, PeerIndex b, const LinkChange& change);
  // The link model a message from `sender` to `receiver` uses now.
  LinkModel link_between(PeerIndex sender, PeerIndex receiver) const;

  void add_cut(Cut cut);
  // Removes the cuts named `name`, or every cut when `name` is empty.
  void heal(std::string_view name);
  bool partitioned() const { return !cuts_.empty(); }
  const std::vector<Cut>& cuts() const { return cuts_; }
  bool blocked(PeerIndex sender, PeerIndex receiver) const;
  // Both directions open.
  bool connected(PeerIndex a, PeerIndex b) const { return !blocked(a, b) && !blocked(b, a); }
  // Messages in flight (queued for delivery).
  std::size_t in_flight() const { return deliveries_.size(); }

  // Called for every message a running peer sends to one receiver (after counting
  // it, before loss or partitions act): the simulator's per-group block traffic.
  using SendObserver = std::function<void(PeerIndex sender, const gossip::MessagePtr& message)>;
  void set_send_observer(SendObserver observer) { send_observer_ = std::move(observer); }

  // Message counts by content, filled in when asked.
  MessageStats stats() const;
  // Invariant violations seen by the network (a down peer sending).
  const std::vector<std::string>& violations() const { return violations_; }

 private:
  class PeerTransport;
  struct Peer {
    std::string name;
    gossip::ConnectionInfo connection;  // what receivers see of this peer
    SimPeer* logic = nullptr;
    bool paused = false;
    // The attach epoch of its current incarnation: messages sent before it
    // (to an earlier incarnation) are lost.
    std::uint64_t attached_epoch = 0;
    std::unique_ptr<PeerTransport> transport;
  };
  // One message as sent by one peer, shared by all its receivers in flight: a
  // broadcast to n peers is one record and n 12-byte queue entries.
  struct SendRecord {
    gossip::MessagePtr message;
    PeerIndex sender = 0;
    int content = 0;
    TimePoint sent_at{0};
    std::uint64_t epoch = 0;    // attach epoch when sent
    std::uint32_t pending = 0;  // deliveries in flight; freed at 0
  };

  void send(PeerIndex sender, std::optional<PeerIndex> receiver, const gossip::MessagePtr& message);
  std::uint32_t record_for(PeerIndex sender, const gossip::MessagePtr& message, int content);
  void deliver_due();
  void deliver(const SendRecord& record, PeerIndex receiver);
  void arm_delivery();
  Duration next_delay(const LinkModel& link);
  std::string_view content(const gossip::MessagePtr& message, int* index);

  runtime::VirtualScheduler& scheduler_;
  std::mt19937_64 random_;
  LinkModel link_;
  EventLog& log_;
  std::vector<Peer> peers_;
  std::unordered_map<std::string, PeerIndex> by_endpoint_;
  std::unordered_map<std::string, PeerIndex> by_name_;
  std::vector<Cut> cuts_;
  std::vector<LinkChange> peer_links_;  // per peer; empty fields: no override
  std::map<std::pair<PeerIndex, PeerIndex>, LinkChange> pair_links_;  // (low, high)
  bool link_overrides_ = false;

  DeliveryQueue deliveries_;
  std::deque<SendRecord> records_;
  std::vector<std::uint32_t> free_records_;
  std::optional<std::uint32_t> last_record_;  // reused by the next send of the same broadcast
  std::uint64_t epoch_ = 0;                   // bumped on every attach
  runtime::TimerId delivery_timer_ = runtime::kNoTimer;
  TimePoint delivery_at_{0};
  std::vector<DeliveryQueue::Delivery> batch_;

  // Per content case of GossipMessage: its name and totals.
  std::vector<std::string> content_names_;
  std::vector<std::uint64_t> sent_count_;
  std::vector<std::uint64_t> sent_bytes_;
  MessageStats totals_;
  std::vector<std::string> violations_;
  SendObserver send_observer_;
};

}  // namespace fabnet::sim
