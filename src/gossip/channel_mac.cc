#include "gossip/channel_mac.h"

namespace fabnet::gossip {

std::string channel_mac(const CryptoService& crypto, std::string_view pki_id,
                        std::string_view channel) {
  std::string joined;
  joined.reserve(pki_id.size() + channel.size());
  joined.append(pki_id).append(channel);
  return crypto.hash(joined);
}

}  // namespace fabnet::gossip
