#include "up/layout.h"

#include <fmt/format.h>

#include <fstream>

#include "config/duration.h"
#include "up/processes.h"

namespace fabnet::up {
namespace fs = std::filesystem;

namespace {

std::string go(std::chrono::nanoseconds d) {
  return config::format_duration(d);
}

std::string peer_msp(const Layout& layout, const NetworkFile::Org& org, const std::string& host) {
  return (layout.dir / "crypto" / "peerOrganizations" / org.domain() / "peers" /
          (host + "." + org.domain()) / "msp")
      .string();
}

}  // namespace

const Node* Layout::find(const std::string& name) const {
  for (const Node& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

fs::path Layout::ledger_dir(const Node& node) const {
  if (node.is_peer()) return node_dir(node) / "data" / "ledgersData" / "chains";
  return node_dir(node) / "ledger";
}

Layout plan_layout(const NetworkFile& net, const fs::path& dir) {
  Layout layout;
  layout.dir = fs::absolute(dir).lexically_normal();
  for (const auto& c : net.channels) layout.channels.push_back(c.name);
  int port = net.ports_base;
  const std::string channels_file = (layout.dir / "crypto" / "channels.yaml").string();

  Node orderer;
  orderer.name = "orderer";
  orderer.kind = Node::Kind::kOrderer;
  orderer.listen_port = port++;
  orderer.ops_port = port++;
  orderer.channels = layout.channels;
  orderer.args = {"orderer",    "start",
                  "--config",   (layout.node_dir(orderer) / "orderer.yaml").string(),
                  "--channels", channels_file};
  layout.orderer_endpoint = fmt::format("127.0.0.1:{}", orderer.listen_port);
  layout.nodes.push_back(orderer);

  for (const auto& org : net.orgs) {
    for (int i = 0; i < org.peers; ++i) {
      Node peer;
      peer.name = fmt::format("peer{}.{}", i, org.node_suffix());
      peer.org = org.name;
      peer.listen_port = port++;
      peer.ops_port = port++;
      peer.args = {"peer",       "start",
                   "--config",   (layout.node_dir(peer) / "core.yaml").string(),
                   "--channels", channels_file};
      for (const auto& c : net.channels) {
        if (std::find(c.orgs.begin(), c.orgs.end(), org.name) == c.orgs.end()) continue;
        peer.channels.push_back(c.name);
        peer.args.push_back("--join");
        peer.args.push_back(c.name);
      }
      layout.nodes.push_back(peer);
    }
  }
  const auto& first = net.orgs.front();
  layout.client_msp = layout.dir / "crypto" / "peerOrganizations" / first.domain() / "users" /
                      ("User1@" + first.domain()) / "msp";
  layout.client_msp_id = first.msp_id();
  return layout;
}

void write_layout(const NetworkFile& net, const Layout& layout, const std::string& fabnet_binary) {
  fs::create_directories(layout.dir);
  // Input of `fabnet crypto generate`: one spare identity per org is not needed,
  // the User1 client identity comes with every org.
  {
    std::ofstream out(layout.dir / "network.yaml");
    out << "# written by fabnet up: input of fabnet crypto generate\norgs:\n";
    for (const auto& org : net.orgs) {
      const Node* anchor = layout.find("peer0." + org.node_suffix());
      out << "  - name: " << org.name << "\n    msp_id: " << org.msp_id()
          << "\n    domain: " << org.domain() << "\n    peers: " << org.peers
          << "\n    anchor_peers: [127.0.0.1:" << anchor->listen_port << "]\n";
    }
    out << "channels:\n";
    for (const auto& c : net.channels) {
      out << "  - name: " << c.name << "\n    orgs: [";
      for (std::size_t i = 0; i < c.orgs.size(); ++i)
        out << (i ? ", " : "") << net.find_org(c.orgs[i])->msp_id();
      out << "]\n";
    }
    out << "orderer:\n  name: Orderer\n  msp_id: OrdererMSP\n  domain: example.com\n"
        << "  endpoints: [" << layout.orderer_endpoint
        << "]\n  BatchTimeout: " << go(net.orderer.batch_timeout)
        << "\n  BatchSize: {MaxMessageCount: " << net.orderer.max_message_count << "}\n";
  }
  const int rc = run_and_wait(
      {fabnet_binary, "crypto", "generate", "--config", (layout.dir / "network.yaml").string(),
       "--output", (layout.dir / "crypto").string()},
      layout.dir / "crypto-generate.log");
  if (rc != 0)
    throw UpConfigError(fmt::format("fabnet crypto generate failed (exit {}):\n{}", rc,
                                    log_tail(layout.dir / "crypto-generate.log", 10)));

  for (const Node& node : layout.nodes) {
    fs::create_directories(layout.node_dir(node));
    std::ofstream out(layout.node_dir(node) / (node.is_peer() ? "core.yaml" : "orderer.yaml"));
    if (!node.is_peer()) {
      out << "General:\n  ListenAddress: 127.0.0.1\n  ListenPort: " << node.listen_port
          << "\n  LocalMSPDir: "
          << (layout.dir / "crypto" / "ordererOrganizations" / "example.com" / "orderers" /
              "orderer.example.com" / "msp")
                 .string()
          << "\n  LocalMSPID: OrdererMSP\nFileLedger:\n  Location: "
          << layout.ledger_dir(node).string()
          << "\nOperations:\n  ListenAddress: 127.0.0.1:" << node.ops_port << "\n";
      continue;
    }
    const NetworkFile::Org& org = *net.find_org(node.org);
    const Node* bootstrap = layout.find("peer0." + org.node_suffix());
    const std::string host = node.name.substr(0, node.name.find('.'));
    const auto& t = net.timings;
    out << "peer:\n"
        << "  id: " << node.name << "\n"
        << "  address: 127.0.0.1:" << node.listen_port << "\n"
        << "  listenAddress: 127.0.0.1:" << node.listen_port << "\n"
        << "  localMspId: " << org.msp_id() << "\n"
        << "  mspConfigPath: " << peer_msp(layout, org, host) << "\n"
        << "  fileSystemPath: " << (layout.node_dir(node) / "data").string() << "\n"
        << "  gossip:\n"
        << "    bootstrap: 127.0.0.1:" << bootstrap->listen_port << "\n"
        << "    useLeaderElection: true\n"
        << "    orgLeader: false\n"
        << "    aliveTimeInterval: " << go(t.alive_interval) << "\n"
        << "    aliveExpirationTimeout: " << go(t.alive_expiration) << "\n"
        << "    reconnectInterval: " << go(t.reconnect_interval) << "\n"
        << "    election:\n"
        << "      startupGracePeriod: " << go(t.startup_grace) << "\n"
        << "      membershipSampleInterval: " << go(t.membership_sample) << "\n"
        << "      leaderAliveThreshold: " << go(t.leader_alive_threshold) << "\n"
        << "      leaderElectionDuration: " << go(t.leader_election_duration) << "\n"
        << "operations:\n"
        << "  listenAddress: 127.0.0.1:" << node.ops_port << "\n";
  }
}

}  // namespace fabnet::up
