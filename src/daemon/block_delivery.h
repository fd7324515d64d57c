#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config_block.h"
#include "config/core_config.h"
#include "crypto/msp.h"
#include "daemon/background_commit.h"
#include "deliver/deliver_client.h"
#include "ledger/block_store.h"
#include "ledger/block_verifier.h"
#include "node/channel_blocks.h"
#include "ops/gossip_metrics.h"

namespace fabnet::daemon {

struct BlockDeliverySettings {
  config::DeliveryClientSettings client;
  std::filesystem::path ledgers_root;  // <peer.fileSystemPath>/ledgersData/chains
  std::string identity;                // own serialized identity (seek creator)
  bool static_leader = false;          // peer.gossip.orgLeader: never gives up
  std::string tls_cert_hash{};         // seek binding to the client TLS certificate ("" = none)
};

// A channel's ordering service as this peer pulls from it: where, through which
// connector (TLS trust), and whose signatures its blocks must carry.
struct ChannelOrderer {
  std::vector<std::string> endpoints;          // addressOverrides already applied
  std::set<std::string, std::less<>> msp_ids;  // orderer orgs whose signatures count
  // Whether a block signer's serialized identity is a valid orderer of those orgs.
  ledger::BlockVerifier::IdentityCheck identity_check;
  deliver::OrdererConnector* connector = nullptr;  // outlives the BlockDelivery
  std::string source;  // where the definition came from, for logs ("--channels", ...)
};

// The block signers a config block admits: each orderer org's root and intermediate
// certificates, with its NodeOUs (so that IdentityValidator asks for role orderer
// where the block's MSP tells roles apart).
crypto::IdentityValidator::Orgs block_signer_orgs(const config::ChannelConfig& config);

// The peer's side of the block flow, per channel: the disk ledger, its verifier and
// the deliver client, which runs while this peer leads the channel's org (protocol.md
// §10.1). A channel pulls from its own ChannelOrderer (set_orderer: a channel joined
// from its config block) or else from the default one (--channels); a channel with
// neither has no ledger here. Lives on the daemon's loop.
class BlockDelivery final : public node::LedgerProvider {
 public:
  using Yield = std::function<void(const std::string& channel)>;
  using Log = std::function<void(std::string_view message)>;

  BlockDelivery(BlockDeliverySettings settings, runtime::Scheduler& scheduler,
                const gossip::CryptoService& crypto, std::optional<ChannelOrderer> default_orderer,
                Yield yield, Log info, Log warn);
  ~BlockDelivery() override;

  // `channel` pulls from `orderer` from now on. When its deliver client runs (this
  // peer leads), the old client is stopped before the new one starts: never two
  // clients for one channel.
  void set_orderer(const std::string& channel, ChannelOrderer orderer);
  // The channel's orderer (its own or the default); nullptr when none.
  const ChannelOrderer* orderer_of(const std::string& channel) const;

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
  // (Re)builds `c`'s verifier and deliver client for `orderer`.
  void attach_orderer(const std::string& name, Channel& c, const ChannelOrderer& orderer);

  BlockDeliverySettings settings_;
  runtime::Scheduler& scheduler_;
  const gossip::CryptoService& crypto_;
  std::optional<ChannelOrderer> default_orderer_;
  std::map<std::string, ChannelOrderer> own_orderers_;  // by channel (set_orderer)
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
