#pragma once

#include <memory>

#include "cli/command.h"

namespace CLI {
class App;
}

namespace fabnet::cli {

// `fabnet crypto generate --config NETWORK.yaml --output DIR`: CA and peer keys
// and certificates in Fabric's folder layout (crypto/generate.h), plus
// DIR/channels.yaml, the channel definitions every peer of the network is given.
std::unique_ptr<Command> make_crypto_command(CLI::App& parent);

}  // namespace fabnet::cli
