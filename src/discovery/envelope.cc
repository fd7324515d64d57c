#include "discovery/envelope.h"

#include <memory>

namespace fabnet::discovery {

gossip::Envelope to_envelope(const node::SignedGossip& message) {
  gossip::Envelope envelope;
  envelope.set_payload(message.payload);
  envelope.set_signature(message.signature);
  if (message.has_secret()) {
    envelope.mutable_secret_envelope()->set_payload(message.secret_payload);
    envelope.mutable_secret_envelope()->set_signature(message.secret_signature);
  }
  return envelope;
}

node::MessagePtr from_envelope(const gossip::Envelope& envelope) {
  auto parsed = std::make_shared<node::SignedGossip>();
  if (!parsed->message.ParseFromString(envelope.payload())) return nullptr;
  parsed->payload = envelope.payload();
  parsed->signature = envelope.signature();
  if (envelope.has_secret_envelope()) {
    parsed->secret_payload = envelope.secret_envelope().payload();
    parsed->secret_signature = envelope.secret_envelope().signature();
  }
  return parsed;
}

node::MessagePtr without_secret(const node::MessagePtr& message) {
  if (!message->has_secret()) return message;
  auto stripped = std::make_shared<node::SignedGossip>(*message);
  stripped->secret_payload.clear();
  stripped->secret_signature.clear();
  return stripped;
}

}  // namespace fabnet::discovery
