#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/common.pb.h"
#include "deliver/orderer_connector.h"
#include "gossip/crypto.h"
#include "ledger/ledger.h"
#include "runtime/scheduler.h"

namespace fabnet::deliver {

// Checks a block from the orderer against the channel's rules before it is appended
// (protocol.md §3.5: channel, data hash, orderer signatures); the number and the hash
// chain are the ledger's own checks on append. Returns ledger::accepted() or the refusal.
using BlockCheck = std::function<ledger::AppendResult(const common::Block& block)>;

struct DeliverSettings {
  std::string channel;
  std::string identity;                // own marshaled msp.SerializedIdentity (seek creator)
  std::vector<std::string> endpoints;  // orderer host:port, overrides already applied
  // A static leader (peer.gossip.orgLeader) never gives up; a dynamic one does and yields.
  bool static_leader = false;
  runtime::Duration reconnect_backoff_threshold = std::chrono::seconds(3600);
  runtime::Duration reconnect_total_time_threshold = std::chrono::seconds(3600);
  std::uint64_t seed = 1;  // endpoint choice and seek nonces
  // The seek's ChannelHeader.tls_cert_hash ("" = none): mutual TLS (protocol.md §10.1).
  std::string tls_cert_hash{};
};

struct DeliverDependencies {
  runtime::Scheduler& scheduler;
  OrdererConnector& connector;
  const gossip::CryptoService& crypto;  // signs the seek as `identity`
  ledger::Ledger& ledger;
  BlockCheck check_block;
  // Wall-clock seconds for the seek's timestamp, which the orderer compares with its own
  // clock (15 min window); the only wall-clock reading, injected like the scheduler.
  std::function<std::int64_t()> unix_seconds;
  // 24 nonce bytes per seek; when empty, drawn from the client's seeded generator.
  std::function<std::string()> nonce;
};

struct DeliverCounters {
  std::uint64_t blocks_received = 0;                          // verified and appended
  std::map<std::string, std::uint64_t, std::less<>> refused;  // by ledger::refusal_name
  std::uint64_t connect_attempts = 0;                         // streams opened
  std::uint64_t connects = 0;     // streams the orderer accepted (connected event)
  std::uint64_t disconnects = 0;  // accepted streams that ended
  std::uint64_t failures = 0;     // every failure of §10.1 (each one leads to a backoff)
  std::uint64_t give_ups = 0;     // total backoff exhausted on a dynamic leader
};

// The leader's block source for one channel (protocol.md §10.1, Fabric's
// blocksprovider): keeps one Deliver stream to a random orderer endpoint, seeking from
// the ledger height; verifies and appends every block, then hands it on. Any status,
// refused block, failed dial, closed stream or unknown response is a failure: the
// stream is dropped and, after a backoff of 1.2^(n-1) x 100 ms (capped at
// reconnect_backoff_threshold), a new one seeks from the height at that moment.
// When the summed backoff would pass reconnect_total_time_threshold, a dynamic leader
// stops and calls on_give_up (the election's Yield); a static leader only warns.
// Unlike v2.4.9, and like newer Fabric (protocol.md §12.4), a successful block resets
// both the failure count and the summed backoff: a leader that keeps receiving blocks
// between outages never exhausts the budget.
//
// Pure: time from the scheduler, I/O through the connector; one thread.
class DeliverClient {
 public:
  using BlockCallback = std::function<void(std::uint64_t number, const std::string& bytes)>;
  using Notice = std::function<void(std::string_view message)>;

  DeliverClient(DeliverSettings settings, DeliverDependencies deps);
  ~DeliverClient();
  DeliverClient(const DeliverClient&) = delete;
  DeliverClient& operator=(const DeliverClient&) = delete;

  // Every appended block, after the append (next: dissemination to the org).
  void set_on_block(BlockCallback callback) { on_block_ = std::move(callback); }
  // Every block that passed verification, before the (durable, slow) append: the org
  // can be sent the block while this peer's disk syncs it, as Fabric's deliver client
  // hands a block to gossip and to the committer at once. Not called for a refused block.
  void set_on_verified(BlockCallback callback) { on_verified_ = std::move(callback); }
  // The dynamic leader gave up; runs once per give-up, after the client stopped itself.
  void set_on_give_up(std::function<void()> callback) { on_give_up_ = std::move(callback); }
  // Warnings (failures, static leader over budget) for the driver's log.
  void set_on_warning(Notice callback) { on_warning_ = std::move(callback); }

  // Connects at once (no-op while running). After a give-up, start() begins afresh.
  void start();
  // Closes the stream and cancels the retry timer; idempotent. Events of the closed
  // stream that still arrive are ignored.
  void stop();

  void set_endpoints(std::vector<std::string> endpoints);

  bool running() const { return running_; }
  bool connected() const { return connected_; }
  // The endpoint of the current stream or the last one tried; "" before the first.
  const std::string& endpoint() const { return endpoint_; }
  int consecutive_failures() const { return failures_; }
  runtime::Duration total_backoff() const { return total_backoff_; }
  const DeliverCounters& counters() const { return counters_; }
  const DeliverSettings& settings() const { return settings_; }

 private:
  void connect();
  void on_event(std::uint64_t session, OrdererEvent event);
  void on_block(const std::string& bytes);
  // Ends the current stream and schedules the next attempt (or gives up).
  void fail(std::string_view why);
  void close_stream();
  void warn(std::string_view message);

  DeliverSettings settings_;
  DeliverDependencies deps_;
  BlockCallback on_block_;
  BlockCallback on_verified_;
  std::function<void()> on_give_up_;
  Notice on_warning_;

  bool running_ = false;
  bool connected_ = false;
  std::string endpoint_;
  std::unique_ptr<OrdererStream> stream_;
  // Tags each stream's events, so a closed or replaced stream's late events are dropped.
  std::uint64_t session_ = 0;
  int failures_ = 0;
  runtime::Duration total_backoff_{0};
  runtime::Timer retry_timer_;
  std::mt19937_64 random_;
  DeliverCounters counters_;
};

}  // namespace fabnet::deliver
