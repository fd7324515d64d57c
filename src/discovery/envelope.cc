#include "discovery/envelope.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace fabnet::discovery {
namespace {

bool has_bytes(const node::SignedGossip& message, std::string_view payload,
               std::string_view signature, std::string_view secret_payload,
               std::string_view secret_signature) {
  return message.payload == payload && message.signature == signature &&
         message.secret_payload == secret_payload && message.secret_signature == secret_signature;
}

// Messages parsed from nested envelopes, by their bytes. Holds them weakly: an
// instance lives as long as some store or message in flight does.
class SharedMessages {
 public:
  // The live instance with these bytes, else what `make` returns (nullptr: none).
  template <typename Make>
  node::MessagePtr find_or_make(std::string_view payload, std::string_view signature,
                                std::string_view secret_payload, std::string_view secret_signature,
                                const Make& make) {
    const std::size_t key = std::hash<std::string_view>{}(payload);
    const std::lock_guard lock(mutex_);  // the daemon's gRPC threads may parse too
    const auto [first, last] = by_payload_hash_.equal_range(key);
    for (auto it = first; it != last; ++it) {
      node::MessagePtr held = it->second.lock();
      if (held && has_bytes(*held, payload, signature, secret_payload, secret_signature))
        return held;
    }
    std::shared_ptr<node::SignedGossip> made = make();
    if (!made) return nullptr;
    if (by_payload_hash_.size() >= sweep_at_) sweep();
    by_payload_hash_.emplace(key, made);
    return made;
  }

 private:
  // Drops the entries of instances that are gone; amortised over the insertions.
  void sweep() {
    std::erase_if(by_payload_hash_, [](const auto& entry) { return entry.second.expired(); });
    sweep_at_ = std::max<std::size_t>(kMinSweepAt, 2 * by_payload_hash_.size());
  }

  static constexpr std::size_t kMinSweepAt = 1024;
  std::mutex mutex_;
  std::unordered_multimap<std::size_t, std::weak_ptr<const node::SignedGossip>> by_payload_hash_;
  std::size_t sweep_at_ = kMinSweepAt;
};

SharedMessages& shared_messages() {
  static SharedMessages messages;
  return messages;
}

// Not make_shared: a weak_ptr would keep its memory until the pool's next sweep.
std::shared_ptr<node::SignedGossip> new_message() {
  return std::shared_ptr<node::SignedGossip>(new node::SignedGossip);
}

}  // namespace

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
  if (!envelope.has_secret_envelope())
    return parse_shared(envelope.payload(), envelope.signature());
  return parse_shared(envelope.payload(), envelope.signature(),
                      envelope.secret_envelope().payload(), envelope.secret_envelope().signature());
}

node::MessagePtr parse_shared(std::string_view payload, std::string_view signature,
                              std::string_view secret_payload, std::string_view secret_signature) {
  return shared_messages().find_or_make(
      payload, signature, secret_payload, secret_signature,
      [&]() -> std::shared_ptr<node::SignedGossip> {
        auto parsed = new_message();
        if (!parsed->message.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
          return nullptr;
        parsed->payload = payload;
        parsed->signature = signature;
        parsed->secret_payload = secret_payload;
        parsed->secret_signature = secret_signature;
        return parsed;
      });
}

node::MessagePtr shared_without_secret(const node::SignedGossip& message) {
  return shared_messages().find_or_make(message.payload, message.signature, {}, {}, [&] {
    auto stripped = new_message();
    stripped->message = message.message;
    stripped->payload = message.payload;
    stripped->signature = message.signature;
    return stripped;
  });
}

node::MessagePtr without_secret(const node::MessagePtr& message) {
  if (!message->has_secret()) return message;
  return shared_without_secret(*message);
}

}  // namespace fabnet::discovery
