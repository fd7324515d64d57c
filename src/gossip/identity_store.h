#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gossip/crypto.h"
#include "gossip/weak_pool.h"

namespace fabnet::gossip {

// One instance per distinct identity or MSP ID string while anyone holds it: in the
// simulator every peer's IdentityStore knows (nearly) every peer's identity.
inline std::shared_ptr<const std::string> shared_string(std::string_view value) {
  static WeakPool<std::string> pool;
  return pool.find_or_make(
      std::hash<std::string_view>{}(value), [&](const std::string& held) { return held == value; },
      [&] { return std::make_unique<std::string>(value); });
}

// Identities this node has learned (handshake, alive messages), keyed by PKI-ID.
// An identity is stored only if its PKI-ID recomputes to the claimed one
// (protocol.md §3.1).
class IdentityStore {
 public:
  explicit IdentityStore(const CryptoService& crypto) : crypto_(crypto) {}

  // Returns false (and stores nothing) if the identity is malformed or does not
  // hash to `claimed`. Re-putting a known identity is a no-op that returns true.
  bool put(const PeerId& claimed, const std::string& identity) {
    auto it = entries_.find(claimed);
    if (it != entries_.end()) return *it->second.identity == identity;
    const auto pki_id = crypto_.pki_id_of(identity);
    const auto org = crypto_.org_of(identity);
    if (!pki_id || !org || *pki_id != claimed) return false;
    entries_.emplace(claimed, Entry{shared_string(identity), shared_string(*org)});
    return true;
  }
  // put() for callers that ignore the outcome: a known PKI-ID is left as it is
  // without comparing identities.
  void put_if_unknown(const PeerId& claimed, const std::string& identity) {
    if (!entries_.contains(claimed)) put(claimed, identity);
  }
  const std::string* identity(const PeerId& id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : it->second.identity.get();
  }
  // MSP ID of a known peer; nullptr if its identity is unknown.
  const std::string* org(const PeerId& id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : it->second.org.get();
  }
  void remove(const PeerId& id) { entries_.erase(id); }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::shared_ptr<const std::string> identity;
    std::shared_ptr<const std::string> org;
  };
  const CryptoService& crypto_;
  std::unordered_map<PeerId, Entry> entries_;
};

}  // namespace fabnet::gossip
