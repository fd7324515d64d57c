#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace fabnet::gossip {

// A peer's PKI-ID: raw bytes (0x00 is an ordinary byte).
using PeerId = std::string;

// Bytewise lexicographic order; a proper prefix is smaller (election.md §1).
// Spelled out rather than relying on std::string's operator< so the rule is visible.
inline bool id_less(std::string_view a, std::string_view b) {
  const std::size_t common = a.size() < b.size() ? a.size() : b.size();
  const int c = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
  return c != 0 ? c < 0 : a.size() < b.size();
}

// A PKI-ID in lowercase hex, as /status shows it.
inline std::string id_hex(std::string_view id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(id.size() * 2);
  for (unsigned char c : id) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

// Its first 8 bytes in hex, as log lines name peers.
inline std::string short_id_hex(std::string_view id) {
  return id_hex(id.substr(0, 8));
}

// Age of a message from one sender (election.md §6).
struct PeerTime {
  std::uint64_t inc_num = 0;
  std::uint64_t seq_num = 0;
  friend bool operator==(const PeerTime&, const PeerTime&) = default;
};

// Fabric's freshness rule (protocol.md §8): a higher inc_num wins whatever the
// seq_num; with equal inc_num only a strictly higher seq_num is newer.
inline bool is_newer(const PeerTime& candidate, const PeerTime& held) {
  if (candidate.inc_num != held.inc_num) return candidate.inc_num > held.inc_num;
  return candidate.seq_num > held.seq_num;
}

}  // namespace fabnet::gossip
