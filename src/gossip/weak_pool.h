#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace fabnet::gossip {

// One shared instance per value while anyone holds it (interning): in the
// simulator every peer would otherwise keep its own copy of what every other peer
// announced. Entries are weak and filed by a hash of the value; thread-safe, as the
// daemon's gRPC threads use it too.
template <typename T>
class WeakPool {
 public:
  // The live instance filed under `hash` for which `matches(instance)` holds, else
  // the one `make()` returns (a std::unique_ptr<T>; nullptr files nothing).
  template <typename Matches, typename Make>
  std::shared_ptr<const T> find_or_make(std::size_t hash, const Matches& matches,
                                        const Make& make) {
    const std::lock_guard lock(mutex_);
    const auto [first, last] = by_hash_.equal_range(hash);
    for (auto it = first; it != last; ++it)
      if (auto held = it->second.lock(); held && matches(*held)) return held;
    // From a unique_ptr, not make_shared: with one allocation for object and count,
    // the weak entry would keep the object's memory until the next sweep.
    std::shared_ptr<const T> made(make());
    if (!made) return nullptr;
    if (by_hash_.size() >= sweep_at_) sweep();
    by_hash_.emplace(hash, made);
    return made;
  }

 private:
  // Drops the entries of instances that are gone; amortised over the insertions.
  void sweep() {
    std::erase_if(by_hash_, [](const auto& entry) { return entry.second.expired(); });
    sweep_at_ = std::max<std::size_t>(kMinSweepAt, 2 * by_hash_.size());
  }

  static constexpr std::size_t kMinSweepAt = 1024;
  std::mutex mutex_;
  std::unordered_multimap<std::size_t, std::weak_ptr<const T>> by_hash_;
  std::size_t sweep_at_ = kMinSweepAt;
};

}  // namespace fabnet::gossip
