#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "election/adapter.h"

namespace fabnet::bench {

using election::PeerId;

// Fabric's PKI-IDs are SHA-256 digests: 32 bytes that look random, too long for
// the small-string buffer. IDs here are the same: 32 bytes of splitmix64 output
// seeded by `n`, so distinct n give distinct IDs that differ early, as digests do.
inline PeerId pki_id(std::uint64_t n) {
  PeerId id(32, '\0');
  std::uint64_t state = n;
  for (std::size_t word = 0; word < 4; ++word) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (std::size_t b = 0; b < 8; ++b) id[word * 8 + b] = static_cast<char>((z >> (8 * b)) & 0xff);
  }
  return id;
}

inline std::unordered_set<PeerId> make_view(std::size_t size) {
  std::unordered_set<PeerId> view;
  for (std::size_t i = 0; i < size; ++i) view.insert(pki_id(i));
  return view;
}

// An adapter that sends nothing: the view is a shared O(1) hash set, as a
// membership layer's per-(channel, org) index would be.
class BenchAdapter final : public election::ElectionAdapter {
 public:
  BenchAdapter(PeerId self, const std::unordered_set<PeerId>& view)
      : self_(std::move(self)), view_(view) {}

  void gossip(const election::LeadershipMessage&) override { ++sent_; }
  election::LeadershipMessage create_message(bool is_declaration) override {
    return {self_, {1, ++seq_}, is_declaration};
  }
  bool is_in_view(const PeerId& peer) const override { return view_.contains(peer); }
  std::size_t view_size() const override { return view_.size(); }
  void report_leader_metric(bool is_leader) override { leader_metric_ = is_leader; }

  std::uint64_t sent() const { return sent_; }

 private:
  PeerId self_;
  const std::unordered_set<PeerId>& view_;
  std::uint64_t seq_ = 0;
  std::uint64_t sent_ = 0;
  bool leader_metric_ = false;
};

}  // namespace fabnet::bench
