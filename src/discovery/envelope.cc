#include "discovery/envelope.h"

#include <memory>

namespace fabnet::discovery {

gossip::Envelope to_envelope(const node::SignedGossip& message) {
  gossip::Envelope envelope;
  envelope.set_payload(message.payload);
  envelope.set_signature(message.signature);
  return envelope;
}

node::MessagePtr from_envelope(const gossip::Envelope& envelope) {
  auto parsed = std::make_shared<node::SignedGossip>();
  if (!parsed->message.ParseFromString(envelope.payload())) return nullptr;
  parsed->payload = envelope.payload();
  parsed->signature = envelope.signature();
  return parsed;
}

}  // namespace fabnet::discovery
