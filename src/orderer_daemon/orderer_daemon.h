#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "config/network_config.h"
#include "config/orderer_config.h"

namespace fabnet::orderer {

// Anything that keeps the orderer from starting: one line naming what and why.
class OrdererStartError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OrdererDaemonOptions {
  config::OrdererConfig config;
  std::filesystem::path channels_file;  // channel definitions (orgs, orderer, batch settings)
  int max_streams = 256;                // concurrent Broadcast + Deliver streams
};

// `fabnet orderer start`: the Orderer core on an asio loop that owns its state, a
// per-channel BlockStore under FileLedger.Location, orderer.AtomicBroadcast over
// gRPC (sync server threads validate envelopes in parallel, then post them to the
// loop), and the operations endpoint.
class OrdererDaemon {
 public:
  // Loads the MSP, channel definitions and block stores; throws OrdererStartError
  // or config::ConfigError before anything listens.
  explicit OrdererDaemon(OrdererDaemonOptions options);
  ~OrdererDaemon();

  // Serves until SIGINT/SIGTERM (when install_signal_handlers) or request_stop().
  // Returns the exit status: 0 after a clean stop, 1 if it could not serve.
  int run(bool install_signal_handlers = true);
  void request_stop();  // thread-safe

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fabnet::orderer
