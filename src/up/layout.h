#pragma once

// Where each node of a `fabnet up` network lives: its name, ports, folder and
// command line (plan_layout is pure), and writing its crypto material and config
// files into the network folder (write_layout).

#include <filesystem>
#include <string>
#include <vector>

#include "up/network_file.h"

namespace fabnet::up {

struct Node {
  enum class Kind { kOrderer, kPeer };
  std::string name;  // "orderer" or "peer0.org1"
  Kind kind = Kind::kPeer;
  std::string org;  // org name of a peer, e.g. Org1
  std::vector<std::string> channels;
  int listen_port = 0;            // gossip (peer) or Broadcast/Deliver (orderer)
  int ops_port = 0;               // operations endpoint: /status (peer), /metrics
  std::vector<std::string> args;  // fabnet's arguments, e.g. {"peer", "start", ...}

  bool is_peer() const { return kind == Kind::kPeer; }
};

struct Layout {
  std::filesystem::path dir;
  std::vector<Node> nodes;  // the orderer first, then the peers org by org
  std::string orderer_endpoint;
  std::filesystem::path client_msp;  // the load's identity (Org1's User1)
  std::string client_msp_id;
  // With TLS: the orderer's TLS CA (what clients trust) and the load identity's
  // tls/ folder (client.crt, client.key; presented with client authentication).
  bool tls = false;
  bool tls_client_auth = false;
  std::filesystem::path orderer_tls_ca;
  std::filesystem::path client_tls_dir;
  std::vector<std::string> channels;

  const Node* find(const std::string& name) const;
  std::filesystem::path node_dir(const Node& node) const { return dir / node.name; }
  std::filesystem::path log_file(const Node& node) const { return node_dir(node) / "log"; }
  std::filesystem::path load_log(const std::string& channel) const {
    return dir / ("load." + channel + ".log");
  }
  // `fabnet tx broadcast` / `orderer fetch` flags reaching the orderer: none
  // without TLS, else --tls --cafile (and --clientauth --certfile --keyfile).
  std::vector<std::string> client_tls_args() const;
  // The block store folder of a node (its chains/ directory).
  std::filesystem::path ledger_dir(const Node& node) const;
};

Layout plan_layout(const NetworkFile& net, const std::filesystem::path& dir);

// The text of a node's core.yaml (peer) or orderer.yaml, in Fabric's keys: its
// ports, MSP, ledger, the election and gossip timings, and with TLS the files of
// `fabnet crypto generate` under DIR/crypto (cryptogen's layout).
std::string node_config_text(const NetworkFile& net, const Layout& layout, const Node& node);

// Writes DIR/network.yaml (crypto generate's input), runs `fabnet crypto generate`
// (via `fabnet_binary`) into DIR/crypto, and writes each node's core.yaml or
// orderer.yaml. Throws UpConfigError when the generator fails, with its output.
void write_layout(const NetworkFile& net, const Layout& layout, const std::string& fabnet_binary);

}  // namespace fabnet::up
