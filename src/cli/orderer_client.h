#pragma once

#include <optional>
#include <string>
#include <variant>

#include "crypto/msp.h"

namespace fabnet::cli {

// host:port with a port from 1 to 65535, or why not (for --orderer).
std::optional<std::string> host_port_problem(const std::string& value);

// The client identity of --msp/--msp-id, or the error sentence.
std::variant<crypto::LocalMsp, std::string> load_client_msp(const std::string& dir,
                                                            const std::string& msp_id);

}  // namespace fabnet::cli
