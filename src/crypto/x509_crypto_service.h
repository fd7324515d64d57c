#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/msp.h"
#include "crypto/signer.h"
#include "gossip/crypto.h"

namespace fabnet::crypto {

// gossip::CryptoService over X.509 identities: Fabric's PKI-IDs (protocol.md §3.1)
// and ECDSA signatures with the low-S rule (§3.2), signing as the local MSP.
// verify() checks the signature only; whether the identity belongs to its org is
// IdentityValidator's question, asked when an identity is learned.
// Thread-safe: the transport may verify handshakes off the node's event loop.
class X509CryptoService final : public gossip::CryptoService {
 public:
  explicit X509CryptoService(const LocalMsp& local);

  // This peer's serialized identity and PKI-ID.
  const std::string& identity() const { return identity_; }
  const gossip::PeerId& pki_id() const { return pki_id_; }

  // nullopt unless `identity` decodes and carries a well-formed (§2.4) certificate
  // with an ECDSA key.
  std::optional<gossip::PeerId> pki_id_of(std::string_view identity) const override;
  std::optional<std::string> org_of(std::string_view identity) const override;
  std::string sign(std::string_view payload) const override;
  bool verify(std::string_view identity, std::string_view payload,
              std::string_view signature) const override;
  std::string hash(std::string_view data) const override;

 private:
  // Public key of a well-formed identity, parsed once per identity string.
  std::optional<PublicKey> public_key_of(std::string_view identity) const;

  std::string identity_;
  gossip::PeerId pki_id_;
  Signer signer_;

  // Anyone can mint well-formed identities, so the cache is bounded; when full it
  // starts over, which only costs re-parsing.
  static constexpr std::size_t kMaxCachedKeys = 4096;
  mutable std::mutex cache_mutex_;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  mutable std::unordered_map<std::string, PublicKey, StringHash, std::equal_to<>> public_keys_;
};

}  // namespace fabnet::crypto
