#include "cli/orderer_client.h"

#include <charconv>

#include <fmt/format.h>

namespace fabnet::cli {

std::optional<std::string> host_port_problem(const std::string& value) {
  const auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) return "expected host:port, e.g. 127.0.0.1:7050";
  unsigned port = 0;
  const char* begin = value.data() + colon + 1;
  const char* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc() || ptr != end || port == 0 || port > 65535) {
    return "expected host:port with a port from 1 to 65535";
  }
  return std::nullopt;
}

std::variant<crypto::LocalMsp, std::string> load_client_msp(const std::string& dir,
                                                            const std::string& msp_id) {
  try {
    return crypto::load_local_msp(dir, msp_id);
  } catch (const std::exception& e) {
    return fmt::format("--msp {:?}: {}", dir, e.what());
  }
}

}  // namespace fabnet::cli
