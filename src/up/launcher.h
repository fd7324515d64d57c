#pragma once

// `fabnet up` and its companions (down, status, logs, kill, pause, resume,
// restart, load): start a whole local network from a network.yaml, watch it,
// break it, and stop it. Exit statuses: 0 done, 1 the network failed, 2 bad input.

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

namespace fabnet::up {

struct UpOptions {
  std::string network_file;  // empty: the embedded default
  std::filesystem::path dir = "fabnet-network";
  bool detach = false;  // return once every group has a leader and the load runs
  bool demo = false;    // the scripted fault sequence, then a summary (./run demo)
  bool live = false;    // out is a terminal: redraw in place
};

int run_up(const UpOptions& options, std::ostream& out, std::ostream& err);
int run_down(const std::filesystem::path& dir, std::ostream& out, std::ostream& err);
int run_status(const std::filesystem::path& dir, std::ostream& out, std::ostream& err);
int run_logs(const std::filesystem::path& dir, const std::string& node, int lines,
             std::ostream& out, std::ostream& err);
// action: kill, pause, resume, restart.
int run_fault(const std::filesystem::path& dir, const std::string& action, const std::string& node,
              std::ostream& out, std::ostream& err);
int run_load(const std::filesystem::path& dir, double rate, std::ostream& out, std::ostream& err);

}  // namespace fabnet::up
