#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/core_config.h"
#include "daemon/background_commit.h"
#include "deliver/deliver_client.h"
#include "ledger/block_store.h"
#include "ledger/block_verifier.h"
#include "node/channel_blocks.h"
#include "ops/gossip_metrics.h"

namespace fabnet::daemon {

struct BlockDeliverySettings {
  config::DeliveryClientSettings client;
  std::filesystem::path ledgers_root;          // <peer.fileSystemPath>/ledgersData/chains
  std::vector<std::string> orderer_endpoints;  // addressOverrides already applied
  std::string orderer_msp_id;                  // whose signatures blocks must carry
  std::string identity;                        // own serialized identity (seek creator)
  bool static_leader = false;                  // peer.gossip.orgLeader: never gives up
  std::string tls_cert_hash{};  // seek binding to the client TLS certificate ("" = none)
};

// The peer's side of the block flow, per channel: the disk ledger, its verifier and
// the deliver client, which runs while this peer leads the channel's org (protocol.md
// §10.1). Lives on the daemon's loop.
class BlockDelivery final : public node::LedgerProvider {
 public:
  using Yield = std::function<void(const std::string& channel)>;
  using Log = std::function<void(std::string_view message)>;

  BlockDelivery(BlockDeliverySettings settings, runtime::Scheduler& scheduler,
                deliver::OrdererConnector& connector, const gossip::CryptoService& crypto,
                ledger::BlockVerifier::IdentityCheck orderer_identity_check, Yield yield, Log info,
                Log warn);
  ~BlockDelivery() override;

  // Blocks the leader's deliver client appended, for the node to spread in the org
  // (peer.deliveryclient.blockGossipEnabled).
  using OnBlock = std::function<void(const std::string& channel, std::uint64_t number,
                                     const std::string& bytes)>;
  void set_on_block(OnBlock on_block) { on_block_ = std::move(on_block); }
  // Gossiped blocks are then committed on `committer`'s thread; without one, on the
  // loop. It must live while the loop runs and go before the ledgers.
  void set_background_committer(BackgroundCommitter* committer);
  // A block verified and about to be appended (DeliverClient::set_on_verified).
  void set_on_verified(OnBlock on_verified) { on_verified_ = std::move(on_verified); }

  // node::LedgerProvider: the channel's disk ledger and its verifier, shared with
  // the deliver client, so every path appends to the one block store.
  node::ChannelLedger* ledger_for(const std::string& channel) override;

  // The election's callback: start pulling on leadership, stop on step-down.
  void on_leadership(const std::string& channel, bool leader);
  void stop_all();

  // Pushes heights and the clients' counters into `metrics` (counters as increments).
  void refresh_metrics(const std::vector<std::string>& channels, ops::DeliverMetrics& metrics);
  // height, deliver_connected, orderer_endpoint, blocks_received, refused.
  nlohmann::json status(const std::string& channel);

 private:
  struct Channel;
  Channel* channel(const std::string& name);

  BlockDeliverySettings settings_;
  runtime::Scheduler& scheduler_;
  deliver::OrdererConnector& connector_;
  const gossip::CryptoService& crypto_;
  ledger::BlockVerifier::IdentityCheck identity_check_;
  Yield yield_;
  Log info_;
  Log warn_;
  ledger::BlockStoreProvider stores_;
  std::map<std::string, std::unique_ptr<Channel>> channels_;
  std::map<std::string, double> synced_;  // counter values already pushed to metrics
  OnBlock on_block_;
  OnBlock on_verified_;
  BackgroundCommitter* committer_ = nullptr;
};

// Pushes `blocks`' height, buffer and counters for `channel` into `metrics`
// (counters as increments over `synced`, the values already pushed).
void refresh_block_metrics(const std::string& channel, const node::ChannelBlocks& blocks,
                           ops::BlockMetrics& metrics, std::map<std::string, double>& synced);

}  // namespace fabnet::daemon
