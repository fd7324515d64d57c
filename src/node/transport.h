#pragma once

#include <functional>
#include <optional>
#include <string>

#include "gossip/message.h"

namespace fabnet::node {

// The gossip layer's vocabulary, as the node speaks it.
using gossip::ConnectionInfo;
using gossip::CryptoService;
using gossip::MessagePtr;
using gossip::PeerId;
using gossip::SignedGossip;

// How a node reaches others. The simulator delivers through its network model;
// the daemon through gRPC streams. Sends never block and may silently fail (the
// peer is down, the queue is full): gossip tolerates loss.
class Transport {
 public:
  virtual ~Transport() = default;
  // To a known peer; `endpoint` is where it said it listens.
  virtual void send(const PeerId& to, const std::string& endpoint, MessagePtr message) = 0;
  // To an endpoint whose PKI-ID is not known yet (bootstrap peers).
  virtual void send_to_endpoint(const std::string& endpoint, MessagePtr message) = 0;

  // Fabric's deep probe (protocol.md §4.5): who answers at `endpoint`, learned
  // from a handshake, without opening a gossip connection. `done` gets the
  // authenticated remote, or nullopt if nothing answered. Transports that cannot
  // probe (supports_probe() false) are never asked.
  using ProbeDone = std::function<void(std::optional<ConnectionInfo> remote)>;
  virtual bool supports_probe() const { return false; }
  virtual void probe_endpoint(const std::string& /*endpoint*/, ProbeDone done) {
    done(std::nullopt);
  }
};

}  // namespace fabnet::node
