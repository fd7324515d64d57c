#include "gossip/envelope.h"

#include <functional>
#include <memory>

#include "gossip/weak_pool.h"

namespace fabnet::gossip {
namespace {

bool has_bytes(const gossip::SignedGossip& message, std::string_view payload,
               std::string_view signature, std::string_view secret_payload,
               std::string_view secret_signature) {
  return message.payload == payload && message.signature == signature &&
         message.secret_payload == secret_payload && message.secret_signature == secret_signature;
}

// Messages parsed from nested envelopes, by their bytes: an instance lives as long
// as some store or message in flight holds it. One pool for every caller below.
gossip::WeakPool<gossip::SignedGossip>& shared_messages() {
  static gossip::WeakPool<gossip::SignedGossip> pool;
  return pool;
}

template <typename Make>
gossip::MessagePtr find_or_make(std::string_view payload, std::string_view signature,
                                std::string_view secret_payload, std::string_view secret_signature,
                                const Make& make) {
  return shared_messages().find_or_make(
      std::hash<std::string_view>{}(payload),
      [&](const gossip::SignedGossip& held) {
        return has_bytes(held, payload, signature, secret_payload, secret_signature);
      },
      make);
}

}  // namespace

::gossip::Envelope to_envelope(const gossip::SignedGossip& message) {
  ::gossip::Envelope envelope;
  envelope.set_payload(message.payload);
  envelope.set_signature(message.signature);
  if (message.has_secret()) {
    envelope.mutable_secret_envelope()->set_payload(message.secret_payload);
    envelope.mutable_secret_envelope()->set_signature(message.secret_signature);
  }
  return envelope;
}

gossip::MessagePtr from_envelope(const ::gossip::Envelope& envelope) {
  if (!envelope.has_secret_envelope())
    return parse_shared(envelope.payload(), envelope.signature());
  return parse_shared(envelope.payload(), envelope.signature(),
                      envelope.secret_envelope().payload(), envelope.secret_envelope().signature());
}

gossip::MessagePtr parse_shared(std::string_view payload, std::string_view signature,
                                std::string_view secret_payload,
                                std::string_view secret_signature) {
  return find_or_make(
      payload, signature, secret_payload, secret_signature,
      [&]() -> std::unique_ptr<gossip::SignedGossip> {
        auto parsed = std::make_unique<gossip::SignedGossip>();
        if (!parsed->message.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
          return nullptr;
        parsed->payload = payload;
        parsed->signature = signature;
        parsed->secret_payload = secret_payload;
        parsed->secret_signature = secret_signature;
        return parsed;
      });
}

gossip::MessagePtr shared_without_secret(const gossip::SignedGossip& message) {
  return find_or_make(message.payload, message.signature, {}, {}, [&] {
    auto stripped = std::make_unique<gossip::SignedGossip>();
    stripped->message = message.message;
    stripped->payload = message.payload;
    stripped->signature = message.signature;
    return stripped;
  });
}

gossip::MessagePtr without_secret(const gossip::MessagePtr& message) {
  if (!message->has_secret()) return message;
  return shared_without_secret(*message);
}

}  // namespace fabnet::gossip
