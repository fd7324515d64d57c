#pragma once

#include <string>

#include "node/message.h"

namespace fabnet::node {

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
};

}  // namespace fabnet::node
