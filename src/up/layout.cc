#include "up/layout.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

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

fs::path crypto_dir(const Layout& layout) {
  return layout.dir / "crypto";
}

fs::path orderer_host_dir(const Layout& layout) {
  return crypto_dir(layout) / "ordererOrganizations" / "example.com" / "orderers" /
         "orderer.example.com";
}

// cryptogen's tlsca/tlsca.<domain>-cert.pem of a peer org: the CA of its nodes'
// and users' TLS certificates.
fs::path org_tls_ca(const Layout& layout, const NetworkFile::Org& org) {
  return crypto_dir(layout) / "peerOrganizations" / org.domain() / "tlsca" /
         ("tlsca." + org.domain() + "-cert.pem");
}

std::string orderer_yaml(const NetworkFile& net, const Layout& layout, const Node& node) {
  std::ostringstream out;
  out << "General:\n  ListenAddress: 127.0.0.1\n  ListenPort: " << node.listen_port
      << "\n  LocalMSPDir: " << (orderer_host_dir(layout) / "msp").string()
      << "\n  LocalMSPID: OrdererMSP\n";
  if (net.tls) {
    // Clients (the peers' deliver clients, the load) hold certificates of the peer
    // orgs' TLS CAs; they are checked only with ClientAuthRequired.
    const fs::path tls = orderer_host_dir(layout) / "tls";
    out << "  TLS:\n    Enabled: true\n    PrivateKey: " << (tls / "server.key").string()
        << "\n    Certificate: " << (tls / "server.crt").string() << "\n    RootCAs:\n      - "
        << (tls / "ca.crt").string()
        << "\n    ClientAuthRequired: " << (net.tls_client_auth ? "true" : "false")
        << "\n    ClientRootCAs:\n";
    for (const auto& org : net.orgs) out << "      - " << org_tls_ca(layout, org).string() << "\n";
  }
  out << "FileLedger:\n  Location: " << layout.ledger_dir(node).string()
      << "\nOperations:\n  ListenAddress: 127.0.0.1:" << node.ops_port << "\n";
  return out.str();
}

std::string core_yaml(const NetworkFile& net, const Layout& layout, const Node& node) {
  const NetworkFile::Org& org = *net.find_org(node.org);
  const Node* bootstrap = layout.find("peer0." + org.node_suffix());
  const std::string host = node.name.substr(0, node.name.find('.'));
  const auto& t = net.timings;
  std::ostringstream out;
  out << "peer:\n"
      << "  id: " << node.name << "\n"
      << "  address: 127.0.0.1:" << node.listen_port << "\n"
      << "  listenAddress: 127.0.0.1:" << node.listen_port << "\n"
      << "  localMspId: " << org.msp_id() << "\n"
      << "  mspConfigPath: " << peer_msp(layout, org, host) << "\n"
      << "  fileSystemPath: " << (layout.node_dir(node) / "data").string() << "\n";
  if (net.tls) {
    // As the test network's peers: the node's tls/ folder; every org's TLS CA is
    // trusted, for gossip clients and for dialling other orgs' peers. The deliver
    // client trusts the orderer's TLS CA from channels.yaml (orderer.tls_ca_cert).
    const fs::path tls = fs::path(peer_msp(layout, org, host)).parent_path() / "tls";
    out << "  tls:\n"
        << "    enabled: true\n"
        << "    clientAuthRequired: " << (net.tls_client_auth ? "true" : "false") << "\n"
        << "    cert:\n      file: " << (tls / "server.crt").string() << "\n"
        << "    key:\n      file: " << (tls / "server.key").string() << "\n"
        << "    rootcert:\n      file: " << (tls / "ca.crt").string() << "\n"
        << "    clientRootCAs:\n      files:\n";
    for (const auto& o : net.orgs) out << "        - " << org_tls_ca(layout, o).string() << "\n";
  }
  out << "  gossip:\n"
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
  return out.str();
}

}  // namespace

std::string node_config_text(const NetworkFile& net, const Layout& layout, const Node& node) {
  return node.is_peer() ? core_yaml(net, layout, node) : orderer_yaml(net, layout, node);
}

std::vector<std::string> Layout::client_tls_args() const {
  if (!tls) return {};
  std::vector<std::string> args = {"--tls", "--cafile", orderer_tls_ca.string()};
  if (tls_client_auth)
    for (const std::string& arg :
         {std::string("--clientauth"), std::string("--certfile"),
          (client_tls_dir / "client.crt").string(), std::string("--keyfile"),
          (client_tls_dir / "client.key").string()})
      args.push_back(arg);
  return args;
}

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
  layout.tls = net.tls;
  layout.tls_client_auth = net.tls_client_auth;
  layout.orderer_tls_ca = crypto_dir(layout) / "ordererOrganizations" / "example.com" / "tlsca" /
                          "tlsca.example.com-cert.pem";
  layout.client_tls_dir = layout.client_msp.parent_path() / "tls";
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
    std::ofstream(layout.node_dir(node) / (node.is_peer() ? "core.yaml" : "orderer.yaml"))
        << node_config_text(net, layout, node);
  }
}

}  // namespace fabnet::up
