#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "gossip/crypto.h"
#include "gossip/drop_reason.h"
#include "gossip/identity_store.h"
#include "gossip/message.h"
#include "runtime/scheduler.h"

namespace fabnet::discovery {

using gossip::ConnectionInfo;
using gossip::DropReason;
using gossip::MessagePtr;
using gossip::PeerId;
using gossip::PeerTime;
using runtime::Duration;
using runtime::TimePoint;

// protocol.md §6 and §11; defaults are Fabric's.
struct DiscoverySettings {
  Duration alive_time_interval = std::chrono::seconds(5);
  Duration alive_expiration_timeout = std::chrono::seconds(25);
  Duration reconnect_interval = std::chrono::seconds(25);
  Duration pull_interval = std::chrono::seconds(4);  // periodic membership sync
  int pull_peer_num = 3;
  int propagate_peer_num = 3;
  Duration publish_cert_period = std::chrono::seconds(10);
  int msg_expiration_factor = 20;  // a dead member is purged after expiration x this
  int max_connection_attempts = 120;
  std::vector<std::string> bootstrap;  // endpoints of same-org peers
  // Longest list taken from one peer: alive plus dead entries of a membership
  // response, PeerIdentity entries of one identity pull update. A longer one is
  // dropped whole (oversize_list). Keep it a few times the largest network.
  std::size_t max_membership_entries = 20000;
  std::size_t max_identity_pull_entries = 20000;
};

struct SelfInfo {
  PeerId pki_id;
  std::string identity;           // serialized msp.SerializedIdentity
  std::string org;                // MSP ID
  std::string endpoint;           // internal endpoint (where peers of my org reach me)
  std::string external_endpoint;  // "" = invisible to other orgs
  std::uint64_t inc_num = 0;      // wall-clock ns at process start
};

// What became of a request to contact an anchor peer (Discovery::connect_to_anchor).
enum class AnchorContact {
  kContacting,          // probed and asked for membership until it answers
  kAlreadyContacting,   // a contact to that endpoint is under way
  kSelf,                // the endpoint is mine
  kNoExternalEndpoint,  // another org's anchor, and I am invisible to other orgs
};

struct Member {
  PeerId pki_id;
  std::string org;
  std::string endpoint;  // Member.endpoint of its alive message (external)
  std::string internal_endpoint;
  PeerTime last_time;      // newest accepted PeerTime
  TimePoint last_seen{0};  // when that was accepted
  TimePoint dead_since{0};
  bool alive = false;
  MessagePtr last_alive;  // its newest alive Envelope, for membership responses

  // Where to dial it (Fabric's PreferredEndpoint, protocol.md §4.3): the internal
  // endpoint when known, else the external one.
  const std::string& preferred_endpoint() const {
    return internal_endpoint.empty() ? endpoint : internal_endpoint;
  }
};

// What discovery needs from its node.
class DiscoveryHost {
 public:
  virtual ~DiscoveryHost() = default;
  virtual void send(const PeerId& to, const std::string& endpoint, MessagePtr message) = 0;
  virtual void send_to_endpoint(const std::string& endpoint, MessagePtr message) = 0;
  // Deep probe of a bootstrap endpoint (see node::Transport::probe_endpoint).
  virtual bool supports_probe() const { return false; }
  virtual void probe_endpoint(const std::string& /*endpoint*/,
                              std::function<void(std::optional<ConnectionInfo>)> done) {
    done(std::nullopt);
  }
  // Marshals `message` and signs it when `sign` is set (protocol.md §3.2).
  virtual MessagePtr seal(::gossip::GossipMessage message, bool sign) = 0;
  virtual void on_member_alive(const PeerId& peer) = 0;   // learned or resurrected
  virtual void on_member_dead(const PeerId& peer) = 0;    // expired
  virtual void on_member_purged(const PeerId& peer) = 0;  // forgotten entirely
  // `message`, received from `from`, was refused (the node counts and logs it).
  virtual void drop(const ConnectionInfo& /*from*/, const gossip::SignedGossip& /*message*/,
                    DropReason /*reason*/) {}
};

// Sends are counted per destination: one alive message gossiped to three peers
// counts three.
struct DiscoveryCounters {
  std::uint64_t alive_sent = 0;       // own alive messages
  std::uint64_t alive_received = 0;   // alive_msg messages handled (not nested ones)
  std::uint64_t alive_forwarded = 0;  // received alive messages passed on
  std::uint64_t stale_dropped = 0;    // not fresher than what we hold
  std::uint64_t invalid_dropped = 0;  // unknown identity, bad signature, malformed
  std::uint64_t membership_requests_sent = 0;
  std::uint64_t membership_responses_sent = 0;
  std::uint64_t expirations = 0;
  std::uint64_t resurrections = 0;
};

// Membership of one peer (protocol.md §6): periodic signed alive messages, expiry
// after alive_expiration_timeout, resurrection by a fresher alive message, a
// restarted peer (higher inc_num) superseding its old self, bootstrap and
// membership request/response. Pure: time and randomness come from the caller.
class Discovery {
 public:
  // Throws std::invalid_argument if a period in `settings` is not positive.
  Discovery(SelfInfo self, DiscoverySettings settings, runtime::Scheduler& scheduler,
            DiscoveryHost& host, gossip::IdentityStore& identities,
            const gossip::CryptoService& crypto, std::mt19937_64& random);
  ~Discovery();
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  // Arms the periodic timers and contacts the bootstrap peers (and the anchor
  // peers asked for before). Once only: a restarted peer is a new instance with a
  // higher inc_num.
  void start();
  void stop();  // idempotent; nothing is sent afterwards

  // Fabric's learnAnchorPeers (protocol.md §4.5, §6.3): the anchor peer at
  // `endpoint`, of org `org` as the channel config says, is contacted as a
  // bootstrap peer is (deep probe, then a membership request resent until
  // answered) and never purged. One of my org must prove to be of my org; one of
  // another org is contacted only if I have an external endpoint, and is sent no
  // internal endpoint. Before start(), the contact waits for it.
  AnchorContact connect_to_anchor(const std::string& endpoint, const std::string& org);

  // Messages with content alive_msg, mem_req or mem_res (tag already checked).
  // Ignored unless running (after start(), before stop()).
  void handle(const ConnectionInfo& from, const MessagePtr& message);

  bool is_alive(const PeerId& peer) const;         // O(1)
  const Member* member(const PeerId& peer) const;  // alive or dead; nullptr once purged
  std::size_t alive_count() const;
  std::vector<PeerId> alive_members() const;  // in no particular order
  void for_each_alive(const std::function<void(const Member&)>& visit) const;
  // The alive members sorted by PKI-ID (bytewise, as std::string compares), kept
  // up to date as members come and go, so callers need not sort per message.
  const std::vector<const Member*>& alive_by_id() const { return alive_by_id_; }
  // Changes whenever alive_by_id() does: lets callers cache what they derive from it.
  std::uint64_t alive_set_version() const { return alive_set_version_; }
  const DiscoveryCounters& counters() const { return counters_; }
  const SelfInfo& self() const { return self_; }

 private:
  // A member with its places in the liveness bookkeeping.
  struct Entry {
    Member member;
    std::size_t alive_slot = 0;  // index in alive_ while alive
    // In alive_by_last_seen_ while alive, in dead_by_time_ while dead.
    std::list<Entry*>::iterator in_order;
    std::size_t last_alive_hash = 0;  // key in entry_by_payload_hash_
  };
  enum class Admission { kLearned, kStale, kInvalid, kAboutSelf };

  bool running() const { return started_ && !stopped_; }
  void every(runtime::Timer& timer, Duration period, void (Discovery::*tick)());
  void send_alive();
  void check_expirations();
  void reconnect_to_dead();
  void sync_membership();
  void contact_bootstrap_peers();
  // A contact (bootstrap or anchor peer) to `endpoint`; `required_org` as in Contact.
  void start_contact(const std::string& endpoint, const std::string& required_org,
                     bool same_org_expected);
  void send_contact_request(std::uint64_t nonce);
  // The deep probe of a contact's endpoint answered (protocol.md §4.5).
  void on_contact_probed(std::uint64_t nonce, const ConnectionInfo& remote);

  void handle_alive(const ConnectionInfo& from, const MessagePtr& message);
  void handle_membership_request(const ConnectionInfo& from, const MessagePtr& message);
  void handle_membership_response(const ConnectionInfo& from, const MessagePtr& message);
  // `message` is `received` or an alive message nested in it.
  Admission admit_alive(const ConnectionInfo& from, const gossip::SignedGossip& received,
                        const MessagePtr& message, bool check_signature_first);
  void record_dead(const ConnectionInfo& from, const gossip::SignedGossip& received,
                   const MessagePtr& message);
  // Why `message` is not authentic (protocol.md §6.4 rules 2-3); nullopt if it is.
  std::optional<gossip::DropReason> authenticity_failure(const gossip::SignedGossip& message,
                                                         const ::gossip::AliveMessage& alive);
  // Counts `received` as invalid and reports it to the host.
  void reject(const ConnectionInfo& from, const gossip::SignedGossip& received,
              gossip::DropReason reason);
  void learn(const ConnectionInfo& from, const ::gossip::AliveMessage& alive,
             const MessagePtr& message);
  // The member whose newest alive message has exactly these bytes, if any.
  const Entry* holder_of(const std::string& payload) const;
  void set_last_alive(Entry& entry, MessagePtr message);

  MessagePtr build_own_alive();
  // Bootstrap peers are same-org, so their requests keep the secret.
  MessagePtr build_membership_request(std::uint64_t nonce, bool with_secret);
  struct RequestsByAudience {
    MessagePtr my_org, foreign;
  };
  const MessagePtr& membership_request_for(const Member& target, RequestsByAudience& requests);
  void gossip_alive(const MessagePtr& message, const std::string& about_org,
                    const PeerId& received_from, std::uint64_t& counter);
  void send_to_member(const Member& member, const MessagePtr& message);
  // Up to `count` distinct random alive members accepted by `eligible`.
  template <typename Eligible>
  std::vector<const Entry*> pick_alive(int count, const Eligible& eligible);

  void mark_alive(Entry& entry);
  void mark_dead(Entry& entry);
  void purge_forgotten_dead();
  // True if `time` is no newer than what a purged member last said.
  bool buried(const PeerId& peer, const PeerTime& time);
  // Bootstrap and anchor peers are kept, to be probed forever (protocol.md §6.2).
  bool is_never_purged(const Member& member) const;

  SelfInfo self_;
  DiscoverySettings settings_;
  runtime::Scheduler& scheduler_;
  DiscoveryHost& host_;
  gossip::IdentityStore& identities_;
  const gossip::CryptoService& crypto_;
  std::mt19937_64& random_;
  DiscoveryCounters counters_;

  bool started_ = false;
  bool stopped_ = false;
  // Expires with this object, so asynchronous probe answers can tell it is gone.
  std::shared_ptr<bool> lifetime_ = std::make_shared<bool>(true);
  TimePoint started_at_{0};
  std::uint64_t seq_num_ = 0;
  MessagePtr latest_own_alive_;  // reused in membership responses (Fabric's selfAliveMessage)

  std::unordered_map<PeerId, Entry> members_;  // node-based: Entry* stay valid
  std::vector<Entry*> alive_;                  // for O(1) random picks
  std::vector<const Member*> alive_by_id_;     // the same members, sorted by pki_id
  std::uint64_t alive_set_version_ = 0;        // bumped whenever alive_by_id_ changes
  std::list<Entry*> alive_by_last_seen_;       // oldest first: expiry looks at the front
  std::list<Entry*> dead_by_time_;             // in the order they died
  // Hash of a member's newest alive payload, so identical copies nested in
  // membership responses are recognised without parsing.
  std::unordered_map<std::size_t, Entry*> entry_by_payload_hash_;
  std::unordered_set<std::string> bootstrap_endpoints_;
  std::unordered_set<std::string> anchor_endpoints_;
  // Anchor peers asked for before start(): (endpoint, org).
  std::vector<std::pair<std::string, std::string>> anchors_before_start_;

  // A purged member's last PeerTime, kept for one more alive-store TTL: Fabric's
  // store still compares expired messages until 2 x TTL (protocol.md §8), so
  // copies held by peers that purge later do not bring the member back.
  struct Tombstone {
    PeerTime last_time;
    TimePoint purged_at;
  };
  std::unordered_map<PeerId, Tombstone> tombstones_;
  std::deque<std::pair<TimePoint, PeerId>> tombstones_by_time_;

  // A peer known only by its endpoint, contacted until it answers (Fabric's
  // Connect): a bootstrap peer or an anchor peer.
  struct Contact {
    Contact(runtime::Scheduler& scheduler, std::string to)
        : endpoint(std::move(to)), retry(scheduler) {}
    std::string endpoint;
    // The org whoever answers must be of ("" = any): my org for bootstrap peers
    // and my org's anchor peers.
    std::string required_org;
    // Built once and resent unchanged, nonce included; with a deep probe, once
    // the probe told who answers (its org decides whether the secret goes along).
    MessagePtr request;
    // Who the deep probe found there: the request then goes to this PKI-ID, over
    // any live connection to it (protocol.md §4.3), not to the endpoint again.
    std::optional<PeerId> identified;
    int attempts = 0;
    runtime::Timer retry;
  };
  std::unordered_map<std::uint64_t, std::unique_ptr<Contact>> contact_by_nonce_;

  runtime::Timer alive_timer_;
  runtime::Timer expiration_timer_;
  runtime::Timer reconnect_timer_;
  runtime::Timer sync_timer_;
};

}  // namespace fabnet::discovery
