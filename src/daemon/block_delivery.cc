#include "daemon/block_delivery.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <random>

#include "ledger/block_builder.h"

namespace fabnet::daemon {

struct BlockDelivery::Channel final : node::ChannelLedger {
  ledger::Ledger& chain() override { return *ledger; }
  ledger::AppendResult verify(const common::Block& block, std::uint64_t number) override {
    return verifier->verify(block, number);
  }
  void commit_staged(std::function<void(ledger::AppendResult)> done) override {
    if (committer == nullptr) return done(ledger->commit());
    committer->commit(*ledger, std::move(done));
  }

  ledger::BlockStore* ledger = nullptr;      // owned by the provider
  BackgroundCommitter* committer = nullptr;  // null: commits on the loop
  std::unique_ptr<ledger::BlockVerifier> verifier;
  std::unique_ptr<deliver::DeliverClient> client;
};

void BlockDelivery::set_background_committer(BackgroundCommitter* committer) {
  committer_ = committer;
  for (auto& [name, channel] : channels_) channel->committer = committer;
}

node::ChannelLedger* BlockDelivery::ledger_for(const std::string& name) {
  return channel(name);
}

crypto::IdentityValidator::Orgs block_signer_orgs(const config::ChannelConfig& config) {
  crypto::IdentityValidator::Orgs orgs;
  for (const config::BlockOrdererOrg& org : config.orderer_orgs) {
    crypto::IdentityValidator::OrgMsp& msp = orgs[org.msp.msp_id];
    msp.ca_pems.push_back(org.msp.root_certs_pem);
    if (!org.msp.intermediate_certs_pem.empty())
      msp.ca_pems.push_back(org.msp.intermediate_certs_pem);
    if (org.msp.node_ous) {
      crypto::NodeOUs ous;
      ous.enable = org.msp.node_ous->enable;
      ous.client_ou = org.msp.node_ous->client_ou;
      ous.peer_ou = org.msp.node_ous->peer_ou;
      ous.admin_ou = org.msp.node_ous->admin_ou;
      ous.orderer_ou = org.msp.node_ous->orderer_ou;
      msp.node_ous = ous;
    }
  }
  return orgs;
}

BlockDelivery::BlockDelivery(BlockDeliverySettings settings, runtime::Scheduler& scheduler,
                             const gossip::CryptoService& crypto,
                             std::optional<ChannelOrderer> default_orderer, Yield yield, Log info,
                             Log warn)
    : settings_(std::move(settings)),
      scheduler_(scheduler),
      crypto_(crypto),
      default_orderer_(std::move(default_orderer)),
      yield_(std::move(yield)),
      info_(std::move(info)),
      warn_(std::move(warn)),
      stores_(settings_.ledgers_root) {}

BlockDelivery::~BlockDelivery() {
  stop_all();
}

const ChannelOrderer* BlockDelivery::orderer_of(const std::string& name) const {
  if (auto it = own_orderers_.find(name); it != own_orderers_.end()) return &it->second;
  return default_orderer_ ? &*default_orderer_ : nullptr;
}

BlockDelivery::Channel* BlockDelivery::channel(const std::string& name) {
  auto it = channels_.find(name);
  if (it != channels_.end()) return it->second.get();
  const ChannelOrderer* orderer = orderer_of(name);
  if (orderer == nullptr) return nullptr;  // no ordering service: no block flow
  auto c = std::make_unique<Channel>();
  c->committer = committer_;
  try {
    c->ledger = &stores_.open(name);
  } catch (const std::exception& e) {
    warn_(fmt::format("[{}] cannot open the ledger: {}", name, e.what()));
    return nullptr;
  }
  if (!c->ledger->recovery().detail.empty())
    warn_(fmt::format("[{}] ledger repaired on open: {}", name, c->ledger->recovery().detail));
  attach_orderer(name, *c, *orderer);
  return channels_.emplace(name, std::move(c)).first->second.get();
}

void BlockDelivery::attach_orderer(const std::string& name, Channel& c,
                                   const ChannelOrderer& orderer) {
  c.verifier = std::make_unique<ledger::BlockVerifier>(name, orderer.msp_ids, crypto_,
                                                       orderer.identity_check);
  deliver::DeliverSettings s;
  s.channel = name;
  s.identity = settings_.identity;
  s.tls_cert_hash = settings_.tls_cert_hash;
  s.endpoints = orderer.endpoints;
  s.static_leader = settings_.static_leader;
  s.reconnect_backoff_threshold = settings_.client.reconnect_backoff_threshold;
  s.reconnect_total_time_threshold = settings_.client.reconnect_total_time_threshold;
  s.seed = std::random_device{}();
  Channel* raw = &c;
  deliver::DeliverDependencies deps{
      scheduler_,
      *orderer.connector,
      crypto_,
      *c.ledger,
      [raw](const common::Block& block) {
        return raw->verifier->verify(block, raw->ledger->height());
      },
      [] {
        return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
      },
      [] { return ledger::random_nonce(); }};
  c.client = std::make_unique<deliver::DeliverClient>(std::move(s), std::move(deps));
  c.client->set_on_warning([this](std::string_view w) { warn_(w); });
  c.client->set_on_give_up([this, name] {
    warn_(fmt::format("[{}] yielding leadership: the ordering service could not be reached", name));
    if (yield_) yield_(name);
  });
  if (settings_.client.block_gossip_enabled) {
    c.client->set_on_block([this, name](std::uint64_t number, const std::string& bytes) {
      if (on_block_) on_block_(name, number, bytes);
    });
    c.client->set_on_verified([this, name](std::uint64_t number, const std::string& bytes) {
      if (on_verified_) on_verified_(name, number, bytes);
    });
  }
}

void BlockDelivery::set_orderer(const std::string& name, ChannelOrderer orderer) {
  const ChannelOrderer& stored =
      own_orderers_.insert_or_assign(name, std::move(orderer)).first->second;
  auto it = channels_.find(name);
  if (it == channels_.end()) return;  // built on first use
  Channel& c = *it->second;
  const bool was_running = c.client->running();
  if (was_running) c.client->stop();
  // The old client goes before the new one exists: its stream is closed, and a late
  // event of it has no client to reach.
  c.client.reset();
  attach_orderer(name, c, stored);
  info_(fmt::format("[{}] orderer now [{}] (from {})", name, fmt::join(stored.endpoints, ", "),
                    stored.source));
  if (was_running) {
    info_(fmt::format("[{}] leader: pulling blocks from the ordering service from height {}", name,
                      c.ledger->height()));
    c.client->start();
  }
}

void BlockDelivery::on_leadership(const std::string& name, bool leader) {
  Channel* c = channel(name);
  if (c == nullptr) return;
  if (leader && !c->client->running()) {
    info_(
        fmt::format("[{}] leader: pulling blocks from the ordering service at [{}] from height {}",
                    name, fmt::join(orderer_of(name)->endpoints, ", "), c->ledger->height()));
    c->client->start();
  } else if (!leader && c->client->running()) {
    info_(fmt::format("[{}] no longer leader: deliver client stopped at height {}", name,
                      c->ledger->height()));
    c->client->stop();
  }
}

void BlockDelivery::stop_all() {
  for (auto& [name, c] : channels_) c->client->stop();
}

void BlockDelivery::refresh_metrics(const std::vector<std::string>& channels,
                                    ops::DeliverMetrics& metrics) {
  auto sync = [&](ops::CounterFamily& family, const ops::LabelValues& labels, double value) {
    double& seen = synced_[family.name() + "/" + fmt::format("{}", fmt::join(labels, "/"))];
    if (value > seen) family.with(labels).inc(value - seen);
    seen = value;
  };
  for (const std::string& name : channels) {
    Channel* c = channel(name);
    if (c == nullptr) continue;
    metrics.height.with({name}).set(static_cast<double>(c->ledger->height()));
    metrics.connected.with({name}).set(c->client->connected() ? 1 : 0);
    const deliver::DeliverCounters& k = c->client->counters();
    sync(metrics.blocks_received, {name}, double(k.blocks_received));
    sync(metrics.connects, {name}, double(k.connects));
    sync(metrics.disconnects, {name}, double(k.disconnects));
    sync(metrics.failures, {name}, double(k.failures));
    sync(metrics.give_ups, {name}, double(k.give_ups));
    for (const auto& [reason, n] : k.refused)
      sync(metrics.blocks_refused, {name, reason}, double(n));
  }
}

nlohmann::json BlockDelivery::status(const std::string& name) {
  if (orderer_of(name) == nullptr) return nlohmann::json::object();  // no block flow
  Channel* c = channel(name);
  if (c == nullptr) return {{"height", nullptr}, {"error", "ledger unavailable"}};
  const deliver::DeliverClient& client = *c->client;
  return {{"height", c->ledger->height()},
          {"deliver_running", client.running()},
          {"deliver_connected", client.connected()},
          {"orderer_endpoint",
           client.connected() ? nlohmann::json(client.endpoint()) : nlohmann::json(nullptr)},
          {"blocks_received", client.counters().blocks_received},
          {"blocks_refused", client.counters().refused},
          {"deliver_failures_in_a_row", client.consecutive_failures()}};
}

void refresh_block_metrics(const std::string& channel, const node::ChannelBlocks& blocks,
                           ops::BlockMetrics& metrics, std::map<std::string, double>& synced) {
  auto sync = [&](ops::CounterFamily& family, const ops::LabelValues& labels, double value) {
    double& seen = synced[family.name() + "/" + fmt::format("{}", fmt::join(labels, "/"))];
    if (value > seen) family.with(labels).inc(value - seen);
    seen = value;
  };
  metrics.state_height.with({channel}).set(static_cast<double>(blocks.height()));
  metrics.payload_buffer_size.with({channel}).set(static_cast<double>(blocks.buffered()));
  const node::BlockCounters& k = blocks.counters();
  sync(metrics.blocks_committed, {channel, "orderer"}, double(k.committed_from_orderer));
  sync(metrics.blocks_committed, {channel, "push"}, double(k.committed_by_push));
  sync(metrics.blocks_committed, {channel, "pull"}, double(k.committed_by_pull));
  sync(metrics.blocks_committed, {channel, "state_transfer"},
       double(k.committed_by_state_transfer));
  sync(metrics.blocks_pushed, {channel}, double(k.forwarded));
  sync(metrics.commit_failures, {channel}, double(k.commit_failures));
  sync(metrics.push_events, {channel, "batch"}, double(k.push_batches));
  sync(metrics.push_events, {channel, "holder_learned"}, double(k.holders_learned));
  sync(metrics.push_events, {channel, "tail_push"}, double(k.tail_pushes));
  sync(metrics.push_events, {channel, "not_forwarded"}, double(k.not_forwarded_behind_store));
  const state::StateCounters& st = blocks.state_counters();
  sync(metrics.state_requests, {channel, "sent"}, double(st.requests_sent));
  sync(metrics.state_requests, {channel, "gap"}, double(st.gap_requests));
  sync(metrics.state_requests, {channel, "gap_timeout"}, double(st.gap_timeouts));
  sync(metrics.state_requests, {channel, "retry"}, double(st.retries));
  sync(metrics.state_requests, {channel, "gave_up"}, double(st.gave_up));
  sync(metrics.state_requests, {channel, "answered"}, double(st.responses_sent));
}

}  // namespace fabnet::daemon
