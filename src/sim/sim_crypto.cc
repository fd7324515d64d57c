#include "sim/sim_crypto.h"

#include "crypto/openssl_handles.h"

#include <cstdint>
#include <cstring>

#include "msp/identities.pb.h"

namespace fabnet::sim {

namespace {

constexpr std::size_t kTagBytes = 8;

std::optional<msp::SerializedIdentity> parse(std::string_view identity) {
  msp::SerializedIdentity parsed;
  if (!parsed.ParseFromArray(identity.data(), static_cast<int>(identity.size()))) {
    return std::nullopt;
  }
  if (parsed.mspid().empty() || parsed.id_bytes().empty()) return std::nullopt;
  return parsed;
}

// FNV-1a rather than std::hash: its output is fixed by definition, so tags (and
// with them message sizes and the event-log hash) are the same on every platform.
std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string tag(std::string_view signer, std::string_view payload) {
  std::uint64_t h = fnv1a(0xcbf29ce484222325ULL, signer);
  h = fnv1a(h ^ 0xff, payload);
  std::string out(kTagBytes, '\0');
  std::memcpy(out.data(), &h, kTagBytes);
  return out;
}

}  // namespace

SimCrypto::SimCrypto(std::string msp_id, std::string peer_name)
    : peer_name_(std::move(peer_name)), identity_(make_identity(msp_id, peer_name_)) {}

std::string SimCrypto::make_identity(std::string_view msp_id, std::string_view peer_name) {
  msp::SerializedIdentity identity;
  identity.set_mspid(std::string(msp_id));
  identity.set_id_bytes(std::string(peer_name));
  return identity.SerializeAsString();
}

std::optional<gossip::PeerId> SimCrypto::pki_id_of(std::string_view identity) const {
  auto parsed = parse(identity);
  if (!parsed) return std::nullopt;
  return parsed->id_bytes();
}

std::optional<std::string> SimCrypto::org_of(std::string_view identity) const {
  auto parsed = parse(identity);
  if (!parsed) return std::nullopt;
  return parsed->mspid();
}

std::string SimCrypto::sign(std::string_view payload) const {
  return tag(peer_name_, payload);
}

bool SimCrypto::verify(std::string_view identity, std::string_view payload,
                       std::string_view signature) const {
  auto parsed = parse(identity);
  return parsed && signature == tag(parsed->id_bytes(), payload);
}

std::string SimCrypto::hash(std::string_view data) const {
  return crypto::detail::sha256(data);
}

}  // namespace fabnet::sim
