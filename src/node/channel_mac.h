#pragma once

#include <string>
#include <string_view>

namespace fabnet::node {

// channel_MAC = SHA-256(pki_id || channel name), no key, no separator (protocol.md §3.3).
std::string channel_mac(std::string_view pki_id, std::string_view channel);

}  // namespace fabnet::node
