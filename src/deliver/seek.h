#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace fabnet::deliver {

// What a peer's seek request states (protocol.md §10.1).
struct SeekRequest {
  std::string channel;
  std::uint64_t start = 0;        // the ledger height: the next block needed
  std::int64_t unix_seconds = 0;  // ChannelHeader timestamp (nanos are 0, as in Fabric)
  std::string creator;            // own marshaled msp.SerializedIdentity
  std::string nonce;              // 24 random bytes
  // SHA-256 of the client TLS certificate, with peer.tls.clientAuthRequired; else empty.
  std::string tls_cert_hash{};
};

using SignFunction = std::function<std::string(std::string_view payload)>;

// The marshaled common.Envelope of a DELIVER_SEEK_INFO request: SeekInfo{start =
// Specified{start}, stop = Specified{2^64-1}, BLOCK_UNTIL_READY, STRICT}, its payload
// signed with `sign`. Asks for every block from `start` on, waiting for new ones.
std::string make_seek_envelope(const SeekRequest& request, const SignFunction& sign);

}  // namespace fabnet::deliver
