#pragma once

#include <string>
#include <utility>

#include "node/node.h"
#include "sim/sim_peer.h"

namespace fabnet::sim {

// The full node (membership: gossip) as the simulator drives it.
class FullPeer final : public SimPeer {
 public:
  FullPeer(node::NodeSettings settings, runtime::Scheduler& scheduler, node::Transport& transport,
           const gossip::CryptoService& crypto, node::NodeObserver* observer = nullptr)
      : node_(std::move(settings), scheduler, transport, crypto, observer) {}
  void start() override { node_.start(); }
  void on_message(const gossip::ConnectionInfo& from, const gossip::MessagePtr& message) override {
    node_.on_message(from, message);
  }
  const gossip::PeerId& id() const override { return node_.id(); }
  const election::LeaderElection* election(const std::string& channel) const override {
    return node_.election(channel);
  }
  const gossip::PeerId* believed_leader(const std::string& channel) const override {
    return node_.believed_leader(channel);
  }
  const node::Node& node() const { return node_; }
  node::Node& node() { return node_; }

 private:
  node::Node node_;
};

}  // namespace fabnet::sim
