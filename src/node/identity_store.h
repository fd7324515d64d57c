#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "node/crypto.h"

namespace fabnet::node {

// One instance per distinct string while anyone holds it: in the simulator every
// peer's IdentityStore knows (nearly) every peer's identity and MSP ID.
class SharedStrings {
 public:
  static std::shared_ptr<const std::string> get(std::string_view value) {
    static SharedStrings strings;
    return strings.find_or_add(value);
  }

 private:
  std::shared_ptr<const std::string> find_or_add(std::string_view value) {
    const std::size_t key = std::hash<std::string_view>{}(value);
    const std::lock_guard lock(mutex_);
    const auto [first, last] = by_hash_.equal_range(key);
    for (auto it = first; it != last; ++it)
      if (auto held = it->second.lock(); held && *held == value) return held;
    // Not make_shared: a weak_ptr would keep its memory until the next sweep.
    std::shared_ptr<const std::string> added(new std::string(value));
    if (by_hash_.size() >= sweep_at_) {
      std::erase_if(by_hash_, [](const auto& entry) { return entry.second.expired(); });
      sweep_at_ = std::max<std::size_t>(kMinSweepAt, 2 * by_hash_.size());
    }
    by_hash_.emplace(key, added);
    return added;
  }

  static constexpr std::size_t kMinSweepAt = 1024;
  std::mutex mutex_;
  std::unordered_multimap<std::size_t, std::weak_ptr<const std::string>> by_hash_;
  std::size_t sweep_at_ = kMinSweepAt;
};

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
    entries_.emplace(claimed, Entry{SharedStrings::get(identity), SharedStrings::get(*org)});
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

}  // namespace fabnet::node
