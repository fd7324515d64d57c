#pragma once

// Blocks in the simulator (docs/simulator.md, "Blocks"): the ordering service of a
// channel (cuts blocks at the scenario's rate and serves Deliver streams to the
// leaders' real deliver clients), the peers' in-memory ledgers, and the checks
// on what those ledgers hold.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/common.pb.h"
#include "deliver/orderer_connector.h"
#include "ledger/block_verifier.h"
#include "ledger/ledger.h"
#include "node/channel_blocks.h"
#include "runtime/scheduler.h"
#include "sim/scenario.h"
#include "sim/sim_crypto.h"

namespace fabnet::sim {

inline constexpr std::string_view kOrdererMspId = "OrdererMSP";
inline constexpr std::string_view kOrdererName = "orderer0.example.com";
inline constexpr std::string_view kOrdererEndpoint = "orderer0.example.com:7050";

// The chain the ordering service of one channel cut: every block's bytes (shared
// with every peer ledger that holds the same block, so a hundred peers do not keep
// a hundred copies), its header hash and when it was cut.
class OrdererChain {
 public:
  std::uint64_t height() const { return blocks_.size(); }
  const std::shared_ptr<const std::string>& bytes(std::uint64_t number) const {
    return blocks_[number].bytes;
  }
  const std::string& header_hash(std::uint64_t number) const { return blocks_[number].hash; }
  TimePoint cut_at(std::uint64_t number) const { return blocks_[number].cut_at; }
  void add(std::shared_ptr<const std::string> bytes, std::string hash, TimePoint cut_at) {
    blocks_.push_back({std::move(bytes), std::move(hash), cut_at});
  }

 private:
  struct Entry {
    std::shared_ptr<const std::string> bytes;
    std::string hash;
    TimePoint cut_at{0};
  };
  std::vector<Entry> blocks_;
};

// A peer's chain of one channel in memory. Checks number and hash chain on append
// (as ledger::MemoryLedger does); a block whose bytes equal the orderer's shares
// them. Reports every append to `on_append`.
class SimLedger final : public ledger::Ledger {
 public:
  using OnAppend = std::function<void(std::uint64_t number)>;
  SimLedger(const OrdererChain& truth, OnAppend on_append)
      : truth_(truth), on_append_(std::move(on_append)) {}

  std::uint64_t height() const override { return blocks_.size(); }
  std::string last_header_hash() const override { return last_hash_; }
  std::optional<std::string> block_bytes(std::uint64_t number) const override;
  std::optional<common::Block> block(std::uint64_t number) const override;
  ledger::AppendResult append(const common::Block& block, std::string_view bytes) override;

  // Test hook: replaces the stored bytes of block `number` (the ledger "forgets"
  // what it committed), so the checks below can be shown to fail.
  void corrupt_for_test(std::uint64_t number, std::string bytes);
  // Test hook: drops the last block (the height goes down).
  void truncate_for_test();

 private:
  const OrdererChain& truth_;
  OnAppend on_append_;
  std::vector<std::shared_ptr<const std::string>> blocks_;
  std::string last_hash_;
};

// What node::ChannelBlocks needs of a channel: the ledger and the block verifier
// (protocol.md §3.5) with the peer's simulated crypto.
class PeerChannelLedger final : public node::ChannelLedger {
 public:
  PeerChannelLedger(const std::string& channel, const OrdererChain& truth,
                    const gossip::CryptoService& crypto, SimLedger::OnAppend on_append)
      : ledger_(truth, std::move(on_append)),
        verifier_(channel, {std::string(kOrdererMspId)}, crypto) {}
  ledger::Ledger& chain() override { return ledger_; }
  ledger::AppendResult verify(const common::Block& block, std::uint64_t number) override {
    return verifier_.verify(block, number);
  }
  SimLedger& ledger() { return ledger_; }
  const SimLedger& ledger() const { return ledger_; }
  const ledger::BlockVerifier& verifier() const { return verifier_; }

 private:
  SimLedger ledger_;
  ledger::BlockVerifier verifier_;
};

// Watches one peer's ledger of one channel between observations: the height never
// goes down, a committed block is never replaced, and every block equals the
// orderer's block of that number. Problems are appended to `problems`.
class ChainWatch {
 public:
  void observe(const ledger::Ledger& ledger, const OrdererChain& truth, std::string_view who,
               TimePoint now, std::vector<std::string>& problems);
  // The ledger was wiped on purpose (restart with empty_ledger): start afresh.
  void reset() {
    height_ = 0;
    last_hash_.clear();
  }

 private:
  std::uint64_t height_ = 0;
  std::string last_hash_;  // header hash of block height_ - 1 when last seen
};

// The end-of-run check: `ledger` holds the orderer's chain — exactly (same height,
// same last hash) when `exact`, else at least its first `min_height` blocks.
// Returns the problem, or "" if none.
std::string compare_with_orderer(const ledger::Ledger& ledger, const OrdererChain& truth,
                                 bool exact, std::uint64_t min_height);

// The ordering service of one channel: cuts blocks on the simulation's clock and
// serves seeks. Streams deliver on the dialling peer's clock, `latency` per event,
// in order. Faults: down (dials fail, open streams break) and refusing (seeks and
// open streams get a status).
class SimOrderer {
 public:
  using OnCut = std::function<void(std::uint64_t number)>;
  SimOrderer(std::string channel, const BlockSpec& spec, runtime::Scheduler& scheduler,
             OnCut on_cut);
  ~SimOrderer();
  SimOrderer(const SimOrderer&) = delete;
  SimOrderer& operator=(const SimOrderer&) = delete;

  // Schedules the cuts: the first at spec.from, then one per 1/rate until spec.until.
  void start(Duration end_of_run);
  void set_down(bool down);
  void set_refusing(std::optional<common::Status> status);
  bool down() const { return down_; }
  const std::optional<common::Status>& refusing() const { return refusing_; }

  const std::string& channel() const { return channel_; }
  const OrdererChain& chain() const { return chain_; }
  std::size_t open_streams() const { return streams_.size(); }

  // A dial from `peer` (an index the reachability test understands).
  std::unique_ptr<deliver::OrdererStream> open(runtime::Scheduler& clock, std::size_t peer,
                                               const std::string& seek_envelope,
                                               deliver::OrdererConnector::EventHandler on_event);

  // Whether a peer can reach the ordering service now (partitions); unset: always.
  void set_reachable(std::function<bool(std::size_t peer)> reachable) {
    reachable_ = std::move(reachable);
  }
  // Breaks the open streams of peers that can no longer reach the service.
  void recheck_reachability();

  // The orderer's signing identity (a marshaled msp.SerializedIdentity in OrdererMSP).
  static const std::string& identity();

 private:
  struct Stream;
  struct Handle;
  void cut();
  void post(const std::shared_ptr<Stream>& stream, deliver::OrdererEvent event);
  void pump(const std::shared_ptr<Stream>& stream);
  void end_streams(deliver::OrdererEvent event);

  std::string channel_;
  const BlockSpec& spec_;
  runtime::Scheduler& scheduler_;
  OnCut on_cut_;
  SimCrypto crypto_;
  OrdererChain chain_;
  std::string previous_hash_;
  std::uint64_t cuts_ = 0;
  TimePoint until_{0};
  runtime::Timer timer_;
  bool down_ = false;
  std::optional<common::Status> refusing_;
  std::map<std::uint64_t, std::shared_ptr<Stream>> streams_;
  std::uint64_t next_stream_ = 1;
  std::function<bool(std::size_t)> reachable_;
};

// One peer's way to the ordering service of one channel, on that peer's clock.
class OrdererLink final : public deliver::OrdererConnector {
 public:
  OrdererLink(SimOrderer& orderer, runtime::Scheduler& clock, std::size_t peer)
      : orderer_(orderer), clock_(clock), peer_(peer) {}
  std::unique_ptr<deliver::OrdererStream> open(const std::string& endpoint,
                                               std::string seek_envelope,
                                               EventHandler on_event) override;

 private:
  SimOrderer& orderer_;
  runtime::Scheduler& clock_;
  std::size_t peer_;
};

}  // namespace fabnet::sim
