#include "daemon/peer_daemon.h"

#include <fmt/format.h>

#include <algorithm>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <chrono>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>

#include "comm/grpc_comm.h"
#include "config/config_block.h"
#include "config/network_config.h"
#include "crypto/msp.h"
#include "crypto/x509_crypto_service.h"
#include "daemon/block_delivery.h"
#include "daemon/loop_call.h"
#include "daemon/peer_tls.h"
#include "deliver/grpc_orderer_connector.h"
#include "logging/logger.h"
#include "node/node.h"
#include "ops/gossip_metrics.h"
#include "ops/metrics.h"
#include "ops/operations_server.h"
#include "runtime/asio_scheduler.h"

namespace fabnet::daemon {

namespace {

using nlohmann::json;

// The node trusts an identity only if it chains to the CA of the org it claims
// and is currently valid (issue: identities and signatures). Validation results
// are cached per identity string; the cache is small since identities are few.
class ValidatingCrypto final : public gossip::CryptoService {
 public:
  ValidatingCrypto(const crypto::X509CryptoService& x509,
                   std::shared_ptr<const crypto::IdentityValidator> validator)
      : x509_(x509), validator_(std::move(validator)) {}

  // A channel joined at run time brings orgs and CAs: later checks use `validator`,
  // and earlier refusals are forgotten.
  void set_validator(std::shared_ptr<const crypto::IdentityValidator> validator) {
    std::lock_guard lock(mutex_);
    validator_ = std::move(validator);
    verdicts_.clear();
  }

  // Empty when valid, else the reason. Called from the loop and from gRPC threads.
  std::string check(std::string_view identity) const {
    std::lock_guard lock(mutex_);
    auto it = verdicts_.find(std::string(identity));
    const auto now = std::chrono::system_clock::now();
    if (it != verdicts_.end() && now < it->second.recheck_after) return it->second.reason;
    // Gossip peers must be peers where the org's NodeOUs tell roles apart.
    const crypto::Status status = validator_->validate(identity, now, crypto::kGossipPeerRoles);
    std::string reason = status.ok() ? std::string() : status.error();
    if (verdicts_.size() > 4096) verdicts_.clear();
    verdicts_[std::string(identity)] = {reason, now + std::chrono::minutes(1)};
    return reason;
  }

  std::optional<gossip::PeerId> pki_id_of(std::string_view identity) const override {
    if (!check(identity).empty()) return std::nullopt;
    return x509_.pki_id_of(identity);
  }
  std::optional<std::string> org_of(std::string_view identity) const override {
    return x509_.org_of(identity);
  }
  std::string sign(std::string_view payload) const override { return x509_.sign(payload); }
  bool verify(std::string_view identity, std::string_view payload,
              std::string_view signature) const override {
    return x509_.verify(identity, payload, signature);
  }
  std::string hash(std::string_view data) const override { return x509_.hash(data); }

 private:
  struct Verdict {
    std::string reason;
    std::chrono::system_clock::time_point recheck_after;
  };
  const crypto::X509CryptoService& x509_;
  std::shared_ptr<const crypto::IdentityValidator> validator_;  // guarded by mutex_
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, Verdict> verdicts_;
};

std::filesystem::path resolve(const std::filesystem::path& base_file, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_file.empty()) return p;
  return base_file.parent_path() / p;
}

// operations.tls.* with paths resolved against core.yaml's folder.
ops::OperationsTls operations_tls(const config::CoreConfig& core,
                                  const std::filesystem::path& core_file) {
  const config::OperationsTlsSettings& t = core.operations_tls;
  auto file = [&](const std::string& path) {
    return path.empty() ? std::string() : resolve(core_file, path).string();
  };
  ops::OperationsTls tls;
  tls.cert_file = file(t.cert_file);
  tls.key_file = file(t.key_file);
  tls.client_auth_required = t.client_auth_required;
  for (const std::string& ca : t.client_root_cas) tls.client_ca_files.push_back(file(ca));
  return tls;
}

}  // namespace

struct PeerDaemon::Impl final : node::NodeObserver {
  explicit Impl(PeerDaemonOptions o) : options(std::move(o)), scheduler(loop), signals(loop) {}

  void load();
  void start_loop_work();
  void metrics_tick();
  void stop_on_loop();
  void start_delivery();
  // On the loop: defines and joins the channel of a config block (`peer channel
  // join -b`), pulling from the block's orderer; "" when joined, else why not.
  std::string join_from_block(const config::ChannelConfig& block);
  // The deliver connector trusting `extra_tls_roots` (PEM) beside peer.tls's orderer
  // CAs; one per distinct set, kept until the daemon ends (its reader threads are
  // joined off the loop).
  deliver::OrdererConnector& orderer_connector_for(const std::string& extra_tls_roots);
  void refresh_metrics();
  json status() const;
  // Runs `work` on the loop and waits for its result (HTTP threads use this); nullopt
  // ("busy") after 2 s, and then the work never runs (daemon/loop_call.h).
  template <typename Result>
  std::optional<Result> on_loop(std::function<Result()> work) {
    return call_on_loop<Result>(loop, std::move(work), std::chrono::seconds(2));
  }

  // NodeObserver
  void on_leadership_change(const node::Node&, const std::string& channel, bool leader) override {
    election_log->info("[{}] {}", channel, leader ? "Becoming a leader" : "Stopped being a leader");
    metrics->leader.with({channel}).set(leader ? 1 : 0);
    if (delivery) delivery->on_leadership(channel, leader);
  }
  void on_election_event(const node::Node&, const std::string& channel,
                         election::ElectionEvent event) override {
    election_log->debug("[{}] {}", channel, election::to_string(event));
  }
  void on_member_change(const node::Node&, const gossip::PeerId& peer, bool alive) override {
    gossip_log->info("member {} is {}", gossip::short_id_hex(peer), alive ? "alive" : "dead");
  }
  void on_block_committed(const node::Node&, const std::string& channel, std::uint64_t number,
                          state::BlockSource source) override {
    state_log->debug("[{}] committed block [{}] ({})", channel, number,
                     state::block_source_name(source));
  }
  void on_block_gap(const node::Node&, const std::string& channel, std::uint64_t first_missing,
                    std::uint64_t arrived) override {
    state_log->debug("[{}] block [{}] arrived while block [{}] is missing", channel, arrived,
                     first_missing);
  }
  void on_anchor_peer(const node::Node&, const std::string& channel, const node::AnchorPeer& anchor,
                      discovery::AnchorContact result) override {
    switch (result) {
      case discovery::AnchorContact::kContacting:
        gossip_log->info("[{}] contacting anchor peer {} of {}", channel, anchor.endpoint,
                         anchor.org);
        break;
      case discovery::AnchorContact::kAlreadyContacting:
        gossip_log->debug("[{}] anchor peer {} of {}: already being contacted", channel,
                          anchor.endpoint, anchor.org);
        break;
      case discovery::AnchorContact::kSelf:
        gossip_log->info("[{}] anchor peer {} of {} is this peer", channel, anchor.endpoint,
                         anchor.org);
        break;
      case discovery::AnchorContact::kNoExternalEndpoint:
        gossip_log->info(
            "[{}] anchor peer {} of {} skipped: it is of another org and this peer has no "
            "peer.gossip.externalEndpoint, so other orgs may not learn of it",
            channel, anchor.endpoint, anchor.org);
        break;
    }
  }
  // Already rate-limited by the node: once per (peer, reason) per interval.
  void on_rejection(const node::Node&, const node::Rejection& rejection) override {
    rejection_log->warn("{}", node::describe(rejection));
  }

  PeerDaemonOptions options;
  std::shared_ptr<spdlog::logger> log = logging::get_logger("peer");
  std::shared_ptr<spdlog::logger> gossip_log = logging::get_logger("gossip.discovery");
  std::shared_ptr<spdlog::logger> election_log = logging::get_logger("gossip.election");
  std::shared_ptr<spdlog::logger> rejection_log = logging::get_logger("gossip.gossip");
  std::shared_ptr<spdlog::logger> state_log = logging::get_logger("gossip.state");

  std::optional<crypto::LocalMsp> msp;
  std::unique_ptr<crypto::X509CryptoService> x509;
  crypto::IdentityValidator::Orgs validator_orgs;  // what `crypto` validates against
  std::unique_ptr<ValidatingCrypto> crypto;
  config::ChannelDefinitions channels;
  PeerTls tls;  // peer.tls.*: gossip and deliver-client TLS
  node::NodeSettings settings;

  asio::io_context loop;
  runtime::AsioScheduler scheduler;
  asio::signal_set signals;
  std::unique_ptr<comm::GrpcComm> comm;
  std::unique_ptr<node::Node> node;
  ops::MetricsRegistry registry;
  std::unique_ptr<ops::GossipMetrics> metrics;
  std::unique_ptr<ops::OperationsServer> operations;
  // Block flow (protocol.md §10.1): a channel pulls from the orderer of --channels, or
  // from that of the config block it was joined from; with neither it has no ledger.
  std::shared_ptr<spdlog::logger> deliver_log = logging::get_logger("deliveryClient");
  std::unique_ptr<crypto::IdentityValidator> orderer_validator;
  // By the extra TLS roots they trust ("" = peer.tls's orderer CAs only).
  std::map<std::string, std::unique_ptr<deliver::GrpcOrdererConnector>> orderer_connectors;
  std::set<std::string> file_channels;               // channels defined by --channels
  std::map<std::string, std::string> block_orderer;  // channel → its block orderer's digest
  std::unique_ptr<BlockDelivery> delivery;
  // After `delivery`: destroyed first, finishing its commits while the ledgers exist.
  std::unique_ptr<BackgroundCommitter> committer;
  std::unique_ptr<ops::DeliverMetrics> deliver_metrics;
  std::unique_ptr<ops::BlockMetrics> block_metrics;
  std::unique_ptr<runtime::Timer> metrics_timer;
  std::map<std::string, double> synced;  // counter values already pushed to metrics
  std::atomic<bool> stopping{false};
};

void PeerDaemon::Impl::load() {
  const config::CoreConfig& core = options.core;
  if (core.local_msp_id.empty())
    throw DaemonError(fmt::format(
        "{}: peer.localMspId is empty; expected the MSP ID of this peer's org", core.source));
  if (core.msp_config_path.empty())
    throw DaemonError(
        fmt::format("{}: peer.mspConfigPath is empty; expected the path of this peer's msp folder",
                    core.source));
  if (!core.ignored_keys.empty())
    log->debug("{}: keys fabnet does not use (accepted, ignored): {}", core.source,
               fmt::join(core.ignored_keys, ", "));
  const std::filesystem::path msp_dir = resolve(options.core_file, core.msp_config_path);
  try {
    msp.emplace(crypto::load_local_msp(msp_dir, core.local_msp_id));
  } catch (const std::exception& e) {
    throw DaemonError(e.what());
  }
  if (const crypto::Status role = crypto::check_local_role(*msp, crypto::kGossipPeerRoles); !role)
    throw DaemonError(fmt::format("{}: {}", msp_dir.string(), role.error()));
  // Without --channels the peer starts in no channel, as Fabric's peer does, and
  // joins channels from their config blocks (`fabnet peer channel join -b`).
  if (!options.channels_file.empty()) {
    channels = config::load_channel_definitions_file(options.channels_file);
    for (const auto& channel : channels.channels) file_channels.insert(channel.name);
  } else
    channels.source = "no channel definitions (--channels not given)";
  try {
    tls = load_peer_tls(core, options.core_file, channels);
  } catch (const std::exception& e) {
    throw DaemonError(fmt::format(
        "TLS is requested (peer.tls.enabled true, from {}) but cannot be set up: {}; the peer "
        "does not fall back to plaintext",
        core.tls.enabled_from.empty() ? core.source : core.tls.enabled_from, e.what()));
  }

  crypto::IdentityValidator::Orgs cas;
  for (const auto& channel : channels.channels)
    for (const auto& org : channel.orgs) cas[org.msp_id].ca_pems.push_back(org.ca_cert_pem);
  for (const auto& ca : msp->ca_certificates) cas[msp->msp_id].ca_pems.push_back(ca.pem());
  cas[msp->msp_id].node_ous = msp->node_ous;  // our own org's NodeOUs are known
  x509 = std::make_unique<crypto::X509CryptoService>(*msp);
  validator_orgs = cas;
  crypto = std::make_unique<ValidatingCrypto>(
      *x509, std::make_shared<const crypto::IdentityValidator>(validator_orgs));
  if (channels.orderer) {
    orderer_validator =
        std::make_unique<crypto::IdentityValidator>(crypto::IdentityValidator::CaCertificates{
            {channels.orderer->msp_id, {channels.orderer->ca_cert_pem}}});
  }

  const std::string address = core.address.empty() ? core.listen_address : core.address;
  if (address.empty())
    throw DaemonError(fmt::format(
        "{}: neither peer.address nor peer.listenAddress is set; expected host:port", core.source));

  settings.self.pki_id = x509->pki_id();
  settings.self.identity = x509->identity();
  settings.self.org = core.local_msp_id;
  settings.self.endpoint = core.gossip.endpoint.empty() ? address : core.gossip.endpoint;
  settings.self.external_endpoint = core.gossip.external_endpoint;
  settings.self.inc_num =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  settings.discovery.alive_time_interval = core.gossip.alive_time_interval;
  settings.discovery.alive_expiration_timeout = core.gossip.alive_expiration_timeout;
  settings.discovery.reconnect_interval = core.gossip.reconnect_interval;
  settings.discovery.bootstrap = core.gossip.bootstrap;
  settings.discovery.pull_interval = core.gossip.pull_interval;
  settings.discovery.pull_peer_num = core.gossip.pull_peer_num;
  settings.discovery.propagate_peer_num = core.gossip.propagate_peer_num;
  settings.discovery.publish_cert_period = core.gossip.publish_cert_period;
  settings.publish_state_info_interval = core.gossip.publish_state_info_interval;
  settings.request_state_info_interval = core.gossip.request_state_info_interval;
  settings.pull_peer_num = core.gossip.pull_peer_num;
  settings.propagate_peer_num = core.gossip.propagate_peer_num;
  node::BlockSettings& blocks = settings.blocks;
  blocks.block_buffer_size = static_cast<std::size_t>(core.gossip.state_block_buffer_size);
  blocks.max_propagation_burst_size =
      static_cast<std::size_t>(core.gossip.max_propagation_burst_size);
  blocks.max_propagation_burst_latency = core.gossip.max_propagation_burst_latency;
  blocks.pull.pull_interval = core.gossip.pull_interval;
  blocks.pull.pull_peer_num = static_cast<std::size_t>(core.gossip.pull_peer_num);
  blocks.pull.digest_wait_time = core.gossip.digest_wait_time;
  blocks.pull.request_wait_time = core.gossip.request_wait_time;
  blocks.pull.response_wait_time = core.gossip.response_wait_time;
  blocks.pull.max_block_count_to_store =
      static_cast<std::size_t>(core.gossip.max_block_count_to_store);
  blocks.state.enabled = core.gossip.state_enabled;
  blocks.state.check_interval = core.gossip.state_check_interval;
  blocks.state.response_timeout = core.gossip.state_response_timeout;
  blocks.state.batch_size = static_cast<std::uint64_t>(core.gossip.state_batch_size);
  blocks.state.max_retries = core.gossip.state_max_retries;
  settings.election = core.gossip.election;
  settings.leader_mode = core.gossip.leader_mode();
  settings.seed = std::random_device{}();
  for (const auto& channel : channels.channels) {
    node::ChannelDefinition def{channel.name, {}};
    for (const auto& org : channel.orgs) {
      def.orgs.push_back(org.msp_id);
      for (const std::string& endpoint : org.anchor_peers)
        def.anchor_peers.push_back({org.msp_id, endpoint});
    }
    settings.channels.push_back(std::move(def));
  }
  if (options.join.empty()) {
    for (const auto& channel : channels.channels)
      if (channel.find_org(core.local_msp_id)) settings.join_at_start.push_back(channel.name);
  } else {
    for (const std::string& name : options.join) {
      const auto* channel = channels.find(name);
      if (!channel)
        throw DaemonError(fmt::format("--join {}: no such channel in {}", name, channels.source));
      if (!channel->find_org(core.local_msp_id))
        throw DaemonError(fmt::format("--join {}: org {} is not a member of that channel in {}",
                                      name, core.local_msp_id, channels.source));
      settings.join_at_start.push_back(name);
    }
  }
}

void PeerDaemon::Impl::refresh_metrics() {
  if (!node) return;
  for (const std::string& channel : node->joined_channels()) {
    metrics->leader.with({channel}).set(node->is_leader(channel) ? 1 : 0);
    metrics->peers_known.with({channel}).set(
        static_cast<double>(node->channel_org_view(channel).size()));
  }
  auto sync = [&](ops::CounterFamily& family, const std::string& prefix, const std::string& label,
                  double value) {
    double& seen = synced[prefix + label];
    if (value > seen) family.with({label}).inc(value - seen);
    seen = value;
  };
  const node::NodeCounters& c = node->counters();
  for (const auto& [type, n] : c.sent) sync(metrics->messages_sent, "s/", type, double(n));
  for (const auto& [type, n] : c.received) sync(metrics->messages_received, "r/", type, double(n));
  for (const auto& [reason, n] : c.dropped)
    sync(metrics->messages_dropped, "d/", reason, double(n));
  const comm::CommStats stats = comm->stats();
  for (const auto& [reason, n] : stats.dropped)
    sync(metrics->messages_dropped, "d/", reason, double(n));
  for (const auto& [reason, n] : stats.malformed)
    sync(metrics->messages_dropped, "m/", "malformed_" + reason, double(n));
  for (const auto& [reason, n] : stats.handshakes_rejected)
    sync(metrics->messages_dropped, "h/", "handshake_" + reason, double(n));
  metrics->connections.with({}).set(static_cast<double>(stats.connections_open));
  if (delivery) delivery->refresh_metrics(node->joined_channels(), *deliver_metrics);
  if (block_metrics)
    for (const std::string& channel : node->joined_channels())
      if (const node::ChannelBlocks* blocks = node->blocks(channel))
        daemon::refresh_block_metrics(channel, *blocks, *block_metrics, synced);
}

json PeerDaemon::Impl::status() const {
  json out;
  out["id"] = options.core.peer_id;
  out["org"] = settings.self.org;
  out["pki_id"] = gossip::id_hex(settings.self.pki_id);
  out["endpoint"] = settings.self.endpoint;
  out["external_endpoint"] = settings.self.external_endpoint;
  out["leader_mode"] = election::leader_mode_name(settings.leader_mode);
  json members = json::array();
  node->discovery().for_each_alive([&](const discovery::Member& m) {
    members.push_back({{"pki_id", gossip::id_hex(m.pki_id)},
                       {"org", m.org},
                       {"endpoint", m.preferred_endpoint()},
                       {"external_endpoint", m.endpoint}});
  });
  out["alive_members"] = members;
  json channels_json = json::object();
  for (const std::string& channel : node->joined_channels()) {
    json view = json::array();
    for (const gossip::PeerId& peer : node->channel_org_view(channel)) {
      const discovery::Member* m = node->discovery().member(peer);
      const std::string endpoint = m ? m->preferred_endpoint() : std::string();
      view.push_back({{"pki_id", gossip::id_hex(peer)}, {"endpoint", endpoint}});
    }
    // Every org's peers on the channel (StateInfo known); only `view` elects.
    json peers = json::array();
    for (const gossip::PeerId& peer : node->channel_peers(channel)) {
      const discovery::Member* m = node->discovery().member(peer);
      peers.push_back({{"pki_id", gossip::id_hex(peer)},
                       {"org", m ? m->org : std::string()},
                       {"endpoint", m ? m->preferred_endpoint() : std::string()}});
    }
    const gossip::PeerId* leader = node->believed_leader(channel);
    channels_json[channel] = {{"view", view},
                              {"peers", peers},
                              {"is_leader", node->is_leader(channel)},
                              {"leader", leader ? json(gossip::id_hex(*leader)) : json(nullptr)}};
    if (delivery) channels_json[channel].update(delivery->status(channel));
    if (const node::ChannelBlocks* blocks = node->blocks(channel)) {
      const node::BlockCounters& k = blocks->counters();
      channels_json[channel]["blocks_committed"] = {
          {"from_orderer", k.committed_from_orderer},
          {"push", k.committed_by_push},
          {"pull", k.committed_by_pull},
          {"state_transfer", k.committed_by_state_transfer}};
      channels_json[channel]["blocks_buffered"] = blocks->buffered();
      channels_json[channel]["push"] = {{"forwarded", k.forwarded},
                                        {"batches", k.push_batches},
                                        {"holders_learned", k.holders_learned},
                                        {"tail_pushes", k.tail_pushes},
                                        {"not_forwarded", k.not_forwarded_behind_store}};
    }
  }
  out["channels"] = channels_json;
  return out;
}

// Metrics are pulled from the node once a second on the loop, so the HTTP
// threads only ever read atomics.
void PeerDaemon::Impl::start_loop_work() {
  metrics_timer = std::make_unique<runtime::Timer>(scheduler);
  metrics_tick();
}

void PeerDaemon::Impl::metrics_tick() {
  refresh_metrics();
  metrics_timer->arm(std::chrono::seconds(1), [this] { metrics_tick(); });
}

void PeerDaemon::Impl::stop_on_loop() {
  if (stopping.exchange(true)) return;
  log->info("stopping: leaving elections and closing gossip streams");
  if (metrics_timer) metrics_timer->cancel();
  if (delivery) delivery->stop_all();
  if (node) node->stop();
  if (comm) comm->stop();
  if (operations) operations->stop();
  signals.cancel();
  logging::flush_logs();
  loop.stop();
}

// Before the node starts: a static leader's election calls back at start.
void PeerDaemon::Impl::start_delivery() {
  const config::CoreConfig& core = options.core;
  deliver_metrics = std::make_unique<ops::DeliverMetrics>(registry);
  block_metrics = std::make_unique<ops::BlockMetrics>(registry);
  std::optional<ChannelOrderer> from_file;
  if (channels.orderer) {
    ChannelOrderer o;
    for (const std::string& endpoint : channels.orderer->endpoints)
      o.endpoints.push_back(core.delivery_client.resolve(endpoint));
    o.msp_ids = {channels.orderer->msp_id};
    o.identity_check = [this](std::string_view identity) {
      // Blocks are signed by orderers (NodeOU orderer where it can be told).
      return orderer_validator
          ->validate(identity, std::chrono::system_clock::now(), crypto::kBlockSignerRoles)
          .ok();
    };
    o.connector = &orderer_connector_for("");
    o.source = channels.source;
    from_file = std::move(o);
  } else if (options.channels_file.empty()) {
    deliver_log->info(
        "started without --channels: a channel pulls blocks from the orderer named in the config "
        "block it is joined from (peer channel join -b)");
  } else {
    deliver_log->warn(
        "{} names no orderer: its channels pull no blocks (a channel joined from a config block "
        "pulls from the block's orderer)",
        channels.source);
  }
  BlockDeliverySettings s;
  s.client = core.delivery_client;
  s.ledgers_root = std::filesystem::path(core.file_system_path) / "ledgersData" / "chains";
  s.identity = settings.self.identity;
  s.static_leader = settings.leader_mode == election::LeaderMode::kStaticLeader;
  s.tls_cert_hash = tls.seek_tls_cert_hash;
  delivery = std::make_unique<BlockDelivery>(
      std::move(s), scheduler, *crypto, std::move(from_file),
      [this](const std::string& channel) {
        if (node) node->yield(channel);
      },
      [this](std::string_view m) { deliver_log->info("{}", m); },
      [this](std::string_view m) { deliver_log->warn("{}", m); });
}

deliver::OrdererConnector& PeerDaemon::Impl::orderer_connector_for(
    const std::string& extra_tls_roots) {
  // Without TLS every channel dials plaintext through one connector.
  const std::string key = tls.orderer_tls ? extra_tls_roots : std::string();
  auto& slot = orderer_connectors[key];
  if (!slot) {
    deliver::GrpcOrdererSettings grpc_settings;
    grpc_settings.conn_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        options.core.delivery_client.conn_timeout);
    grpc_settings.credentials =
        key.empty() ? tls.orderer_credentials : orderer_credentials_with(tls, key);
    slot = std::make_unique<deliver::GrpcOrdererConnector>(loop, grpc_settings);
  }
  return *slot;
}

std::string PeerDaemon::Impl::join_from_block(const config::ChannelConfig& block) {
  if (!node) return "the peer is not running";
  const config::ChannelDefinition& channel = block.channel;
  const std::string& me = options.core.local_msp_id;
  std::vector<std::string> orgs;
  for (const config::ChannelOrg& org : channel.orgs) orgs.push_back(org.msp_id);
  if (!channel.find_org(me))
    return fmt::format("org {} is not a member of channel {}: the block lists [{}]", me,
                       channel.name, fmt::join(orgs, ", "));
  std::vector<std::string> orderer_orgs;
  for (const config::BlockOrdererOrg& org : block.orderer_orgs)
    orderer_orgs.push_back(org.msp.msp_id);
  // A channel of --channels keeps the orderer given there, as before.
  const bool keeps_file_orderer = file_channels.contains(channel.name) && channels.orderer;
  std::optional<ChannelOrderer> orderer;
  std::string orderer_digest;
  try {
    if (!keeps_file_orderer) {
      ChannelOrderer o;
      for (const std::string& endpoint : config::orderer_endpoints_of(block))
        o.endpoints.push_back(options.core.delivery_client.resolve(endpoint));
      o.msp_ids.insert(orderer_orgs.begin(), orderer_orgs.end());
      // Throws naming the org when a CA certificate of the block does not parse.
      auto signers = std::make_shared<const crypto::IdentityValidator>(block_signer_orgs(block));
      o.identity_check = [signers](std::string_view identity) {
        return signers
            ->validate(identity, std::chrono::system_clock::now(), crypto::kBlockSignerRoles)
            .ok();
      };
      std::string tls_roots;
      for (const config::BlockOrdererOrg& org : block.orderer_orgs)
        tls_roots += org.msp.tls_root_certs_pem + org.msp.tls_intermediate_certs_pem;
      o.source = fmt::format("the config block of {}", channel.name);
      orderer_digest = fmt::format("{}|{}|{}", fmt::join(o.endpoints, ","),
                                   fmt::join(orderer_orgs, ","), tls_roots);
      for (const config::BlockOrdererOrg& org : block.orderer_orgs)
        orderer_digest += "|" + org.msp.root_certs_pem + org.msp.intermediate_certs_pem;
      if (tls.orderer_tls && tls_roots.empty())
        deliver_log->warn(
            "[{}] the config block names no TLS root certificates for orderer org(s) [{}]: the "
            "deliver client trusts only the orderer CAs of peer.tls",
            channel.name, fmt::join(orderer_orgs, ", "));
      o.connector = &orderer_connector_for(tls_roots);
      orderer = std::move(o);
    }
    crypto::IdentityValidator::Orgs updated = validator_orgs;
    for (const config::ChannelOrg& org : channel.orgs) {
      std::vector<std::string>& pems = updated[org.msp_id].ca_pems;
      if (std::find(pems.begin(), pems.end(), org.ca_cert_pem) == pems.end())
        pems.push_back(org.ca_cert_pem);
    }
    auto validator = std::make_shared<const crypto::IdentityValidator>(updated);
    node::ChannelDefinition definition{channel.name, orgs};
    for (const config::ChannelOrg& org : channel.orgs)
      for (const std::string& endpoint : org.anchor_peers)
        definition.anchor_peers.push_back({org.msp_id, endpoint});
    node->define_channel(definition);
    validator_orgs = std::move(updated);
    crypto->set_validator(std::move(validator));
    // Before joining: joining may make this peer the leader at once.
    if (orderer && block_orderer[channel.name] != orderer_digest) {
      block_orderer[channel.name] = orderer_digest;
      delivery->set_orderer(channel.name, std::move(*orderer));
    }
    node->join_channel(channel.name);
  } catch (const std::exception& e) {
    return e.what();
  }
  if (!channels.find(channel.name)) channels.channels.push_back(channel);
  log->info("joined channel {} from its config block: orgs [{}]", channel.name,
            fmt::join(orgs, ", "));
  if (tls.channel_tls_roots) {
    // Fabric trusts the channel's orgs' TLS CAs for gossip (clients and servers).
    std::size_t added = 0;
    for (const config::BlockMsp& msp : block.application_msps)
      added += tls.channel_tls_roots->add(msp.tls_root_certs_pem + msp.tls_intermediate_certs_pem);
    if (added > 0)
      log->info("[{}] gossip TLS now also trusts {} TLS CA certificate(s) of the block's orgs",
                channel.name, added);
  }
  if (keeps_file_orderer) {
    if (orderer_orgs != std::vector<std::string>{channels.orderer->msp_id})
      deliver_log->warn(
          "[{}] the block names orderer org(s) [{}]; this channel is defined in {} and pulls "
          "blocks from {} as given there",
          channel.name, fmt::join(orderer_orgs, ", "), channels.source, channels.orderer->msp_id);
  } else {
    deliver_log->info("[{}] orderer from the config block: org(s) [{}] at [{}]", channel.name,
                      fmt::join(orderer_orgs, ", "),
                      fmt::join(delivery->orderer_of(channel.name)->endpoints, ", "));
  }
  return {};
}

PeerDaemon::PeerDaemon(PeerDaemonOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->load();
}

PeerDaemon::~PeerDaemon() = default;

void PeerDaemon::request_stop() {
  asio::post(impl_->loop, [impl = impl_.get()] { impl->stop_on_loop(); });
}

int PeerDaemon::run(bool install_signal_handlers) {
  Impl& d = *impl_;
  const config::CoreConfig& core = d.options.core;
  d.metrics = std::make_unique<ops::GossipMetrics>(d.registry);

  comm::CommSettings comm_settings;
  comm_settings.listen_address = core.listen_address.empty() ? core.address : core.listen_address;
  comm_settings.dial_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(core.gossip.dial_timeout);
  comm_settings.conn_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(core.gossip.conn_timeout);
  comm_settings.send_buffer_size = static_cast<std::size_t>(core.gossip.send_buff_size);
  comm_settings.recv_buffer_size = static_cast<std::size_t>(core.gossip.recv_buff_size);
  comm_settings.tls = d.tls.gossip;
  comm::CommCallbacks callbacks;
  callbacks.on_message = [&d](const gossip::ConnectionInfo& from, gossip::MessagePtr message) {
    if (d.node) d.node->on_message(from, message);
  };
  callbacks.check_identity = [&d](const gossip::PeerId&, const std::string& identity) {
    return d.crypto->check(identity);
  };
  callbacks.on_connection_lost = [&d](const gossip::PeerId& peer) {
    d.gossip_log->debug("connection to {} lost", gossip::short_id_hex(peer));
  };
  d.comm = comm::GrpcComm::create(comm_settings, {d.settings.self.pki_id, d.settings.self.identity},
                                  *d.crypto, d.loop, std::move(callbacks));
  if (std::string error = d.comm->start(); !error.empty()) {
    d.log->error("cannot serve gossip on {}: {}", comm_settings.listen_address, error);
    return 1;
  }
  d.start_delivery();
  d.node = std::make_unique<node::Node>(d.settings, d.scheduler, *d.comm, *d.crypto, &d);
  if (d.delivery) {
    d.committer = std::make_unique<BackgroundCommitter>(
        [&d](std::function<void()> f) { asio::post(d.loop, std::move(f)); });
    d.delivery->set_background_committer(d.committer.get());
    d.node->set_ledger_provider(d.delivery.get());
    d.delivery->set_on_block(
        [&d](const std::string& channel, std::uint64_t number, const std::string& bytes) {
          if (d.node) d.node->on_orderer_block(channel, number, bytes);
        });
    d.delivery->set_on_verified(
        [&d](const std::string& channel, std::uint64_t number, const std::string& bytes) {
          if (d.node) d.node->on_orderer_block_verified(channel, number, bytes);
        });
  }

  if (!core.operations_listen_address.empty()) {
    ops::OperationsRoutes routes;
    // metrics.provider: disabled serves no /metrics, as Fabric's operations endpoint.
    routes.metrics = core.metrics_provider == "prometheus" ? &d.registry : nullptr;
    routes.health_checks.push_back({"gossip", [&d] {
                                      return d.comm->listening()
                                                 ? std::string()
                                                 : std::string("gossip listener down");
                                    }});
    routes.status = [&d] {
      auto result = d.on_loop<json>([&d] { return d.status(); });
      return result ? *result : json{{"error", "event loop busy"}};
    };
    routes.join_channel = [&d](const std::string& channel) {
      auto result = d.on_loop<std::string>([&d, channel]() -> std::string {
        try {
          d.node->join_channel(channel);
          d.log->info("joined channel {}", channel);
          return {};
        } catch (const std::exception& e) {
          return e.what();
        }
      });
      return result ? *result : std::string("event loop busy");
    };
    routes.join_channel_block = [&d](const std::string& bytes) {
      ops::OperationsRoutes::JoinResult joined;
      config::ChannelConfig block;
      try {
        block = config::read_config_block(bytes, "the posted config block");
      } catch (const std::exception& e) {
        joined.error = e.what();
        return joined;
      }
      joined.channel = block.channel.name;
      auto result =
          d.on_loop<std::string>([&d, block]() -> std::string { return d.join_from_block(block); });
      joined.error = result ? *result : std::string("event loop busy");
      return joined;
    };
    d.operations = std::make_unique<ops::OperationsServer>(std::move(routes));
    if (core.operations_tls.enabled)
      d.operations->use_tls(operations_tls(core, d.options.core_file));
    if (std::string error = d.operations->start(core.operations_listen_address); !error.empty()) {
      d.log->error("cannot serve operations on {}: {}", core.operations_listen_address, error);
      d.comm->stop();
      return 1;
    }
  }

  if (install_signal_handlers) {
    d.signals.add(SIGINT);
    d.signals.add(SIGTERM);
    d.signals.async_wait([&d](const std::error_code& error, int signal) {
      if (error) return;
      d.log->info("received signal {}", signal);
      d.stop_on_loop();
    });
  }

  asio::post(d.loop, [&d, &core, listen = comm_settings.listen_address] {
    d.node->start();
    d.log->info(
        "peer {} ({}) started: gossip on {} ({}), endpoint {}, PKI-ID {}, leader mode {}, "
        "channels [{}]",
        core.peer_id, d.settings.self.org, d.comm->bound_address(), d.tls.summary,
        d.settings.self.endpoint, gossip::short_id_hex(d.settings.self.pki_id),
        election::leader_mode_name(d.settings.leader_mode),
        fmt::join(d.settings.join_at_start, ", "));
    if (d.settings.leader_mode == election::LeaderMode::kStaticFollower)
      d.log->warn(
          "this peer is a static follower (peer.gossip.useLeaderElection and "
          "peer.gossip.orgLeader are both false): it never leads and never pulls blocks; set "
          "useLeaderElection: true for dynamic election or orgLeader: true on one peer per org");
    d.start_loop_work();
  });
  d.loop.run();
  d.committer.reset();  // its last commits finish while the ledgers are still open
  d.delivery.reset();
  d.orderer_connectors.clear();  // joins their reader threads
  d.node.reset();
  return 0;
}

}  // namespace fabnet::daemon
