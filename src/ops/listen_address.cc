#include "ops/listen_address.h"

#include <charconv>

#include <fmt/format.h>

namespace fabnet::ops {

std::variant<ListenAddress, std::string> parse_listen_address(std::string_view text) {
  constexpr std::string_view kExpect = "host:port such as 127.0.0.1:9443, [::1]:9443 or :9443";
  const auto fail = [&](std::string_view problem) {
    return fmt::format("listen address \"{}\": {}; expected {}", text, problem, kExpect);
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail("no port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.starts_with('[') != host.ends_with(']') || host == "[" || host == "]") {
    return fail("unbalanced brackets around the host");
  }
  if (host.starts_with('[')) {
    host = host.substr(1, host.size() - 2);
    if (host.empty()) return fail("empty IPv6 host");
  } else if (host.find(':') != std::string_view::npos) {
    return fail("an IPv6 host must be in brackets");
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return fail(fmt::format("port \"{}\" is not a number from 0 to 65535", port_text));
  }
  ListenAddress address;
  address.host = host.empty() ? "0.0.0.0" : std::string(host);
  address.port = static_cast<std::uint16_t>(port);
  return address;
}

}  // namespace fabnet::ops
