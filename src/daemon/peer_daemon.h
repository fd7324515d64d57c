#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/core_config.h"

namespace fabnet::daemon {

// Anything that keeps the peer from starting: one line naming what and why.
class DaemonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PeerDaemonOptions {
  config::CoreConfig core;
  std::filesystem::path core_file;      // for resolving peer.mspConfigPath; may be empty
  std::filesystem::path channels_file;  // channel definitions (orgs and their CAs)
  // Channels to join at start; empty means every channel whose orgs include mine.
  std::vector<std::string> join;
};

// One peer process: the node logic on an asio event loop that owns all node
// state, gRPC gossip, the operations endpoint, and logs. gRPC and HTTP threads
// only post work to the loop.
class PeerDaemon {
 public:
  // Loads the MSP, channel definitions and settings; throws DaemonError (or
  // config::ConfigError) before anything starts listening.
  explicit PeerDaemon(PeerDaemonOptions options);
  ~PeerDaemon();

  // Starts listening and runs until request_stop() (or SIGTERM/SIGINT when
  // install_signal_handlers is set). Returns the process exit status.
  int run(bool install_signal_handlers = true);
  // Thread-safe.
  void request_stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fabnet::daemon
