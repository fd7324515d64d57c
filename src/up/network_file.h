#pragma once

// network.yaml of `fabnet up` (docs/up.md): which orgs, peers, channels, timings,
// load, TLS and ports a local network has. Parsing is pure: text in, a validated
// NetworkFile out, or an UpConfigError whose message is one line naming the key.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fabnet::up {

class UpConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NetworkFile {
  struct Org {
    std::string name;  // e.g. Org1; MSP ID Org1MSP, domain org1.example.com
    int peers = 3;     // peer0 .. peer<n-1>

    std::string msp_id() const { return name + "MSP"; }
    std::string domain() const;       // lower-cased name + ".example.com"
    std::string node_suffix() const;  // lower-cased name, e.g. org1 (node peer0.org1)
  };
  struct Channel {
    std::string name;
    std::vector<std::string> orgs;  // org names; every org when the file omits it
  };
  // peer.gossip.election.* and peer.gossip.* of core.yaml (Fabric's defaults).
  struct Timings {
    std::chrono::nanoseconds startup_grace{std::chrono::seconds(15)};
    std::chrono::nanoseconds membership_sample{std::chrono::seconds(1)};
    std::chrono::nanoseconds leader_alive_threshold{std::chrono::seconds(10)};
    std::chrono::nanoseconds leader_election_duration{std::chrono::seconds(5)};
    std::chrono::nanoseconds alive_interval{std::chrono::seconds(5)};
    std::chrono::nanoseconds alive_expiration{std::chrono::seconds(25)};
    std::chrono::nanoseconds reconnect_interval{std::chrono::seconds(25)};
  };
  struct Orderer {
    std::chrono::nanoseconds batch_timeout{std::chrono::seconds(2)};
    int max_message_count = 10;
  };
  struct Load {
    double rate = 10;  // envelopes per second per channel; 0 = no load
    int size = 1024;   // bytes of transaction data per envelope
  };

  std::vector<Org> orgs;
  std::vector<Channel> channels;
  Timings timings;
  Orderer orderer;
  Load load;
  // TLS on every node's gossip, deliver and Broadcast, as in Fabric's test network
  // (server-side TLS; with client_auth also client certificates everywhere).
  bool tls = true;
  bool tls_client_auth = false;
  int ports_base = 7050;  // orderer, its operations port, then two per peer
  std::string source;     // file name, or "<default network>"

  const Org* find_org(std::string_view name) const;
  int peer_count() const;
  // Ports used: 2 for the orderer and 2 per peer, from ports_base.
  int port_count() const { return 2 + 2 * peer_count(); }
};

// The embedded default: 1 orderer, channels channel1 and channel2, Org1..Org3 of
// three peers each on both, Fabric's default timings, 10 tx/s per channel.
std::string_view default_network_text();

NetworkFile parse_network_file(std::string_view yaml_text, std::string_view source);
NetworkFile load_network_file(const std::string& path);  // throws UpConfigError
NetworkFile default_network();

}  // namespace fabnet::up
