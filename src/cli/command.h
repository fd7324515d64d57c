#pragma once

#include <ostream>

namespace fabnet::cli {

// One `fabnet` subcommand. It registers its options on the parent CLI::App when
// built; after parsing, the one the user chose runs and returns the exit status.
class Command {
 public:
  virtual ~Command() = default;
  // Whether this subcommand appeared on the command line.
  virtual bool selected() const = 0;
  virtual int run(std::ostream& out, std::ostream& err) = 0;
};

}  // namespace fabnet::cli
