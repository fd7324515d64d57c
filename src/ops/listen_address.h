#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace fabnet::ops {

struct ListenAddress {
  std::string host;        // IP or name to bind; "0.0.0.0" for Go's ":port"
  std::uint16_t port = 0;  // 0 = any free port
};

// Parses a Go-style listen address as in operations.listenAddress: host:port,
// [ipv6]:port or :port (all interfaces). Returns the address, or an error
// sentence naming the value and what was expected.
std::variant<ListenAddress, std::string> parse_listen_address(std::string_view text);

}  // namespace fabnet::ops
