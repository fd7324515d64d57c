#pragma once

// Nodes in virtual time over a transport that keeps connections as gRPC streams
// do (protocol.md §4.3): one stream carries traffic per pair of peers, a send by
// PKI-ID reuses whichever stream exists (dialled or accepted), a send by endpoint
// reuses only a stream dialled to that endpoint, and the deep probe opens none.
//
// A peer may keep its streams by Fabric v2.4.9's connection-store rule instead
// of fabnet's (gossip/comm conn.go onConnected, comm_impl.go GossipStream): a
// second stream accepted from a PKI-ID that already has one closes the old one,
// and the old stream's handler, on its way out, closes whatever stream that
// PKI-ID has then, which is the new one. (Where the old stream was Fabric's own
// dial, the new one dies all the same: its dialler, holding the old one, yields
// to it and closes the new.) So both close. Messages still in flight on a closed
// stream are lost.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/openssl_handles.h"
#include "msp/identities.pb.h"
#include "node/node.h"
#include "runtime/virtual_scheduler.h"

namespace fabnet::testing {

using node::ConnectionInfo;
using node::MessagePtr;
using node::PeerId;

// identity = SerializedIdentity{mspid, id_bytes = name}; PKI-ID = name; a
// signature is a hash of the payload (authenticity is not what these tests test).
class NameCrypto final : public gossip::CryptoService {
 public:
  static std::string identity_for(const std::string& org, const std::string& name) {
    msp::SerializedIdentity id;
    id.set_mspid(org);
    id.set_id_bytes(name);
    return id.SerializeAsString();
  }
  std::optional<PeerId> pki_id_of(std::string_view identity) const override {
    msp::SerializedIdentity id;
    if (!id.ParseFromArray(identity.data(), static_cast<int>(identity.size()))) return std::nullopt;
    return id.id_bytes();
  }
  std::optional<std::string> org_of(std::string_view identity) const override {
    msp::SerializedIdentity id;
    if (!id.ParseFromArray(identity.data(), static_cast<int>(identity.size()))) return std::nullopt;
    return id.mspid();
  }
  std::string sign(std::string_view payload) const override {
    return "sig" + std::to_string(std::hash<std::string_view>{}(payload));
  }
  bool verify(std::string_view, std::string_view payload, std::string_view sig) const override {
    return sig == sign(payload);
  }
  std::string hash(std::string_view data) const override { return crypto::detail::sha256(data); }
};

enum class StoreRule {
  kFabnet,  // the newest stream replaces the old one, which still delivers what it carries
  kFabric,  // as above, but the old stream's close takes the new one with it
};

struct StreamPeerOptions {
  std::string name = {};  // also the PKI-ID; the endpoint is name + ":7051"
  std::string org = "Org1MSP";
  bool external_endpoint = true;
  std::vector<std::string> bootstrap = {};  // names
  std::vector<std::string> join = {"mychannel"};
  StoreRule rule = StoreRule::kFabnet;
};

class StreamNetwork {
 public:
  struct Stream {
    int id = 0;
    std::string dialer, acceptor;
    std::string dialled_endpoint;
    bool open = true;
  };
  using StreamPtr = std::shared_ptr<Stream>;

  static std::string endpoint_of(const std::string& name) { return name + ":7051"; }

  runtime::VirtualScheduler scheduler;
  NameCrypto crypto;
  std::vector<node::ChannelDefinition> channels{{"mychannel", {"Org1MSP", "Org2MSP"}}};
  runtime::Duration delay = std::chrono::milliseconds(1);
  // Streams closed by the Fabric rule, and messages lost with them.
  int streams_closed_by_rule = 0;
  int messages_lost = 0;
  int streams_dialled = 0;

  node::Node& add(const StreamPeerOptions& options) {
    node::NodeSettings s;
    s.self.pki_id = options.name;
    s.self.identity = NameCrypto::identity_for(options.org, options.name);
    s.self.org = options.org;
    s.self.endpoint = endpoint_of(options.name);
    s.self.external_endpoint = options.external_endpoint ? s.self.endpoint : "";
    s.self.inc_num = 1'000'000 + static_cast<std::uint64_t>(scheduler.now().count());
    s.discovery.alive_time_interval = std::chrono::milliseconds(500);
    s.discovery.alive_expiration_timeout = std::chrono::milliseconds(2500);
    s.discovery.reconnect_interval = std::chrono::milliseconds(2500);
    s.discovery.pull_interval = std::chrono::milliseconds(400);
    for (const std::string& b : options.bootstrap) s.discovery.bootstrap.push_back(endpoint_of(b));
    s.election = election::ElectionTimings::fabric_test_timings();
    s.publish_state_info_interval = std::chrono::milliseconds(400);
    s.request_state_info_interval = std::chrono::milliseconds(400);
    s.channels = channels;
    s.join_at_start = options.join;
    s.seed = std::hash<std::string>{}(options.name);
    auto peer = std::make_unique<Peer>();
    peer->name = options.name;
    peer->org = options.org;
    peer->rule = options.rule;
    peer->transport = std::make_unique<Transport>(*this, options.name);
    peer->node = std::make_unique<node::Node>(s, scheduler, *peer->transport, crypto);
    Peer& ref = *peer;
    peers_[options.name] = std::move(peer);
    by_endpoint_[s.self.endpoint] = options.name;
    return *ref.node;
  }

  node::Node& node(const std::string& name) { return *peers_.at(name)->node; }
  std::vector<std::string> names() const {
    std::vector<std::string> all;
    for (const auto& [name, peer] : peers_) all.push_back(name);
    return all;
  }
  void start_all() {
    for (auto& [name, peer] : peers_) peer->node->start();
  }

  // `from` dials `to`, as for any earlier exchange; returns the stream it uses then.
  StreamPtr connect(const std::string& from, const std::string& to) {
    return dial(from, endpoint_of(to), to);
  }
  // The open stream `name` uses to reach `remote`, if any.
  StreamPtr stream_between(const std::string& name, const std::string& remote) {
    auto& store = peers_.at(name)->store;
    const auto it = store.find(remote);
    return it != store.end() && it->second->open ? it->second : nullptr;
  }

  bool deep_probe = true;

 private:
  class Transport final : public node::Transport {
   public:
    Transport(StreamNetwork& net, std::string self) : net_(net), self_(std::move(self)) {}
    void send(const PeerId& to, const std::string& endpoint, MessagePtr message) override {
      net_.send(self_, to, endpoint, std::move(message));
    }
    void send_to_endpoint(const std::string& endpoint, MessagePtr message) override {
      net_.send_to_endpoint(self_, endpoint, std::move(message));
    }
    bool supports_probe() const override { return net_.deep_probe; }
    void probe_endpoint(const std::string& endpoint, ProbeDone done) override {
      net_.probe(endpoint, std::move(done));
    }

   private:
    StreamNetwork& net_;
    std::string self_;
  };

  struct Peer {
    std::string name, org;
    StoreRule rule = StoreRule::kFabnet;
    std::unique_ptr<Transport> transport;
    std::unique_ptr<node::Node> node;
    std::map<std::string, StreamPtr> store;  // by remote PKI-ID: the stream carrying traffic
  };

  void send(const std::string& from, const PeerId& to, const std::string& endpoint,
            MessagePtr message) {
    if (StreamPtr stream = stream_between(from, to)) return carry(stream, from, std::move(message));
    if (StreamPtr stream = dial(from, endpoint, to)) carry(stream, from, std::move(message));
  }

  // As GrpcComm: only a stream this peer dialled to `endpoint` is reused.
  void send_to_endpoint(const std::string& from, const std::string& endpoint, MessagePtr message) {
    for (const auto& [remote, stream] : peers_.at(from)->store) {
      if (stream->open && stream->dialer == from && stream->dialled_endpoint == endpoint)
        return carry(stream, from, std::move(message));
    }
    if (StreamPtr stream = dial(from, endpoint, std::nullopt))
      carry(stream, from, std::move(message));
  }

  void probe(const std::string& endpoint, node::Transport::ProbeDone done) {
    std::optional<ConnectionInfo> remote;
    if (const auto it = by_endpoint_.find(endpoint); it != by_endpoint_.end()) {
      const node::Node& target = node(it->second);
      if (target.running())
        remote = ConnectionInfo{target.id(), target.settings().self.identity, endpoint};
    }
    scheduler.schedule(2 * delay, [done = std::move(done), remote] { done(remote); });
  }

  // A new stream from `from` to whoever listens at `endpoint`. The acceptor
  // registers it first (its handler starts with the handshake); the dialler, once
  // the handshake is done, yields to a stream it already has to that PKI-ID and
  // closes its new one (protocol.md §4.3; Fabric's getConnection alike). Returns
  // the stream `from` sends on then, or nullptr if none is open.
  StreamPtr dial(const std::string& from, const std::string& endpoint,
                 const std::optional<PeerId>& expected) {
    const auto it = by_endpoint_.find(endpoint);
    // A peer listens once added: a node not started yet ignores what arrives.
    if (it == by_endpoint_.end()) return nullptr;
    const std::string to = it->second;
    if (expected && *expected != to) return nullptr;  // wrong_pki_id: the dial fails
    auto stream = std::make_shared<Stream>();
    stream->id = ++streams_dialled;
    stream->dialer = from;
    stream->acceptor = to;
    stream->dialled_endpoint = endpoint;
    streams_.push_back(stream);
    const StreamPtr existing = stream_between(from, to);
    accept(*peers_.at(to), stream);
    if (existing) {
      close(stream);
      return existing->open ? existing : nullptr;
    }
    if (!stream->open) return nullptr;
    peers_.at(from)->store[to] = stream;
    return stream;
  }

  void accept(Peer& acceptor, const StreamPtr& stream) {
    const std::string& remote = stream->dialer;
    const StreamPtr old = stream_between(acceptor.name, remote);
    acceptor.store[remote] = stream;
    // fabnet: the old one is retired, still delivering what it carries.
    if (!old || acceptor.rule == StoreRule::kFabnet) return;
    // Fabric: onConnected closes the old one; its handler's cleanup then closes
    // the connection the store holds for that PKI-ID, the new one.
    close(old);
    close(stream);
    streams_closed_by_rule += 2;
  }

  // Closed at both ends. An end whose current stream this was falls back to
  // another open stream between the two, if one is left (a retired one).
  void close(const StreamPtr& stream) {
    if (!stream->open) return;
    stream->open = false;
    for (const std::string& end : {stream->dialer, stream->acceptor}) {
      const std::string& remote = end == stream->dialer ? stream->acceptor : stream->dialer;
      auto& store = peers_.at(end)->store;
      const auto it = store.find(remote);
      if (it == store.end() || it->second != stream) continue;
      store.erase(it);
      for (const StreamPtr& other : streams_) {
        const bool between = (other->dialer == end && other->acceptor == remote) ||
                             (other->dialer == remote && other->acceptor == end);
        if (other->open && between) store[remote] = other;
      }
    }
  }

  void carry(const StreamPtr& stream, const std::string& from, MessagePtr message) {
    const std::string to = stream->dialer == from ? stream->acceptor : stream->dialer;
    const node::Node& sender = node(from);
    ConnectionInfo info{sender.id(), sender.settings().self.identity,
                        sender.settings().self.endpoint};
    scheduler.schedule(delay, [this, stream, to, info, message = std::move(message)] {
      if (!stream->open) {
        ++messages_lost;
        return;
      }
      node(to).on_message(info, message);
    });
  }

  std::map<std::string, std::unique_ptr<Peer>> peers_;
  std::map<std::string, std::string> by_endpoint_;
  std::vector<StreamPtr> streams_;  // every stream ever dialled
};

}  // namespace fabnet::testing
