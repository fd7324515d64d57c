#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/metrics.h"

namespace fabnet::ops {

// One component /healthz asks. `check` returns "" when healthy, else the reason.
struct HealthCheck {
  std::string component;  // e.g. "gossip"
  std::function<std::string()> check;
};

// What the endpoint serves. The providers run on the server's own threads, so
// they must be thread-safe (the daemon posts to its event loop and waits) and
// must return promptly even while the node shuts down: stop() waits for them.
struct OperationsRoutes {
  const MetricsRegistry* metrics = nullptr;  // GET /metrics; must outlive the server
  std::vector<HealthCheck> health_checks;    // GET /healthz
  // GET /status: id, org, endpoint, channels...; unset = 404.
  std::function<nlohmann::json()> status;
  // POST /channels/join?channel=NAME: "" when joined, else why not; unset = 404.
  std::function<std::string(const std::string& channel)> join_channel;
  // POST /channels/join with a body: a marshaled common.Block, the channel's
  // genesis or config block (`fabnet peer channel join -b FILE`). Returns the
  // channel's name and "" when joined, else the name (if known) and why not;
  // unset = the body is ignored and ?channel= is needed.
  struct JoinResult {
    std::string channel;
    std::string error;
  };
  std::function<JoinResult(const std::string& block_bytes)> join_channel_block;
  bool log_spec = true;  // GET/PUT /logspec (Fabric's) reads or sets the process log levels
};

// operations.tls.* (peer) / Operations.TLS.* (orderer): HTTPS instead of HTTP. Paths
// are resolved already.
struct OperationsTls {
  std::string cert_file;
  std::string key_file;
  bool client_auth_required = false;         // clients must present a certificate ...
  std::vector<std::string> client_ca_files;  // ... chaining to one of these
};

// The peer's HTTP operations endpoint (Fabric's operations.listenAddress), on
// cpp-httplib with a small thread pool of its own. It knows nothing of the node:
// everything comes from OperationsRoutes. See docs/operations.md.
class OperationsServer {
 public:
  explicit OperationsServer(OperationsRoutes routes);
  ~OperationsServer();  // stops
  OperationsServer(const OperationsServer&) = delete;
  OperationsServer& operator=(const OperationsServer&) = delete;

  // Binds (port 0 = any free port) and serves in the background. Returns "" on
  // success, else one sentence naming the address and the problem (unparsable,
  // unresolvable, in use, already started).
  std::string start(std::string_view listen_address);

  // Serves HTTPS with `tls` from the next start() on. A file that does not load makes
  // start() fail with a sentence naming the setting: no plaintext fallback.
  void use_tls(OperationsTls tls);

  // The port actually bound; 0 when not serving.
  std::uint16_t bound_port() const;

  // Stops accepting, waits for requests in progress and the threads to end.
  // Idempotent; a stopped server cannot be started again.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fabnet::ops
