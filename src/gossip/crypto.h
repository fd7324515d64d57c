#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gossip/peer_id.h"

namespace fabnet::gossip {

using gossip::PeerId;

// Identities and signatures, called synchronously by the node. The daemon plugs
// in OpenSSL and X.509 MSPs; the simulator a cheap deterministic stand-in.
class CryptoService {
 public:
  virtual ~CryptoService() = default;
  // PKI-ID of a serialized identity, or nullopt if it is not a valid identity.
  virtual std::optional<PeerId> pki_id_of(std::string_view identity) const = 0;
  // MSP ID (org) of a serialized identity, or nullopt if malformed.
  virtual std::optional<std::string> org_of(std::string_view identity) const = 0;
  virtual std::string sign(std::string_view payload) const = 0;
  virtual bool verify(std::string_view identity, std::string_view payload,
                      std::string_view signature) const = 0;
  // SHA-256 of `data` (Fabric's MCS Hash); channel MACs are built from it (protocol.md §3.3).
  virtual std::string hash(std::string_view data) const = 0;
};

}  // namespace fabnet::gossip
