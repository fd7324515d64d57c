#pragma once

#include <string>
#include <string_view>

#include "gossip/crypto.h"

namespace fabnet::gossip {

// channel_MAC = SHA-256(pki_id || channel name), no key, no separator (protocol.md §3.3).
std::string channel_mac(const CryptoService& crypto, std::string_view pki_id,
                        std::string_view channel);

}  // namespace fabnet::gossip
