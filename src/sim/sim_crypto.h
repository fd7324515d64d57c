#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gossip/crypto.h"

namespace fabnet::sim {

// A cheap deterministic stand-in for the MSP, one instance per peer (it signs as
// that peer). The identity is a serialized msp.SerializedIdentity whose id_bytes
// is the peer's name, and the PKI-ID is that name, so IDs order as the names do.
// A signature is a short keyed tag over (signer name, payload): enough to catch a
// message attributed to the wrong sender, not a security claim.
class SimCrypto final : public gossip::CryptoService {
 public:
  SimCrypto(std::string msp_id, std::string peer_name);

  // The serialized identity of `peer_name` in `msp_id`.
  static std::string make_identity(std::string_view msp_id, std::string_view peer_name);

  const std::string& identity() const { return identity_; }
  const std::string& peer_name() const { return peer_name_; }

  std::optional<gossip::PeerId> pki_id_of(std::string_view identity) const override;
  std::optional<std::string> org_of(std::string_view identity) const override;
  std::string sign(std::string_view payload) const override;
  bool verify(std::string_view identity, std::string_view payload,
              std::string_view signature) const override;
  // Real SHA-256: channel MACs travel in messages, so they keep Fabric's bytes here too.
  std::string hash(std::string_view data) const override;

 private:
  std::string peer_name_;
  std::string identity_;
};

}  // namespace fabnet::sim
