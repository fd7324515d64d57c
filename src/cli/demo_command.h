#pragma once

#include <memory>

#include "cli/command.h"

namespace CLI {
class App;
}

namespace fabnet::cli {

// `fabnet demo`: the in-process leader-election demo (see demo.h).
std::unique_ptr<Command> make_demo_command(CLI::App& parent);

}  // namespace fabnet::cli
