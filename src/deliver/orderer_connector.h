#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/common.pb.h"

namespace fabnet::deliver {

// What an open Deliver stream reports back (protocol.md §10.1).
struct OrdererEvent {
  enum class Kind {
    kConnected,  // the dial succeeded and the seek was sent
    kBlock,      // a DeliverResponse carrying a block
    kStatus,     // a DeliverResponse carrying a status (ends the stream)
    kFailed,     // dial failed or timed out, stream closed, or a response of unknown type
  };
  Kind kind = Kind::kFailed;
  std::string block;                        // kBlock: the marshaled common.Block
  common::Status status = common::UNKNOWN;  // kStatus
  std::string detail;                       // kFailed: why, for logs
};

// One Deliver stream. Destroying it closes the stream; afterwards no event of it runs.
class OrdererStream {
 public:
  virtual ~OrdererStream() = default;
};

// Opens Deliver streams to ordering service nodes: gRPC in the daemon, a fake in
// tests and the simulator. Events run on the owner's scheduler thread, one at a time,
// never from inside open().
class OrdererConnector {
 public:
  using EventHandler = std::function<void(OrdererEvent)>;
  virtual ~OrdererConnector() = default;
  // Dials `endpoint` (host:port), opens orderer.AtomicBroadcast/Deliver and sends
  // `seek_envelope` (a marshaled common.Envelope) as its only request.
  virtual std::unique_ptr<OrdererStream> open(const std::string& endpoint,
                                              std::string seek_envelope, EventHandler on_event) = 0;
};

}  // namespace fabnet::deliver
