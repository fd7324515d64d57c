#pragma once

// Multi-process test harness: generates crypto material and configuration for a
// small network, runs each peer as its own `fabnet peer start` process on
// 127.0.0.1, and reads their state through the operations endpoint.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fabnet::testing {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct PeerSpec {
  std::string name;    // e.g. peer0
  std::string org;     // e.g. org1
  std::string msp_id;  // e.g. Org1MSP
  std::vector<std::string> channels;
  std::string claimed_msp_id;  // non-empty: lie about the org in core.yaml (security tests)
};

struct PeerProcess {
  PeerSpec spec;
  int gossip_port = 0;
  int ops_port = 0;
  std::filesystem::path dir;  // holds core.yaml and log
  pid_t pid = 0;
  std::string pki_id_hex;  // known once it answered /status
  // With peer.gossip.externalEndpoint = its endpoint (set_anchor_peers).
  bool external_endpoint = false;
  // Started without --channels (and --join): in no channel, knowing no orderer, until
  // it joins one from a config block (`peer channel join -b`).
  bool without_channels_file = false;

  std::string id() const { return spec.name + "." + spec.org; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(gossip_port); }
};

// Election and membership timings for tests: Fabric's test timings for the election.
struct NetworkTimings {
  std::string startup_grace = "500ms", sample = "100ms", alive_threshold = "500ms",
              election_duration = "500ms";
  std::string alive_interval = "500ms", alive_expiration = "2500ms", reconnect = "2500ms";
  // More peer.gossip keys, as YAML lines indented four spaces (e.g. "    pullInterval: 1s\n").
  std::string extra_gossip;

  // Fabric's defaults (its sample core.yaml) for the same keys.
  static NetworkTimings fabric_defaults() {
    NetworkTimings t;
    t.startup_grace = "15s";
    t.sample = "1s";
    t.alive_threshold = "10s";
    t.election_duration = "5s";
    t.alive_interval = "5s";
    t.alive_expiration = "25s";
    t.reconnect = "25s";
    return t;
  }
};

// TLS everywhere (tests/process/tls_process_test.cc): every peer's gossip and deliver
// client, the orderer and `tx broadcast` use the TLS material `fabnet crypto generate`
// writes in cryptogen's layout (tls/ folders, tlsca/), set through CORE_PEER_TLS_* and
// ORDERER_GENERAL_TLS_* variables. Operations endpoints stay plain HTTP.
struct NetworkTls {
  bool enabled = false;
  bool client_auth_required = false;  // peer.tls / General.TLS clientAuthRequired
};

class PeerNetwork {
 public:
  // orgs: name -> number of peers; channels: name -> which peers (by index within
  // each org) join it. Every org is a member of every channel.
  // With `with_orderer`, the network also has a fabnet ordering service (org
  // OrdererMSP, BatchTimeout 200 ms) that every channel uses; start it with start_orderer().
  PeerNetwork(std::vector<std::string> orgs, int peers_per_org,
              std::map<std::string, std::vector<int>> channel_members, NetworkTimings timings = {},
              bool with_orderer = false, NetworkTls tls = {});
  ~PeerNetwork();  // kills every process, removes the folder
  PeerNetwork(const PeerNetwork&) = delete;
  PeerNetwork& operator=(const PeerNetwork&) = delete;

  // An extra peer whose certificate belongs to `real_org` but whose core.yaml
  // claims `claimed_msp_id` (not started by start_all).
  PeerProcess& add_impostor(const std::string& name, const std::string& real_org,
                            const std::string& claimed_msp_id, const std::string& channel);

  // Cross-org membership (before starting the peers): the peers of each org at
  // these indexes become its anchor peers on every channel (channels.yaml), and
  // get an external endpoint, as do the peers in `external` (ids, e.g. peer1.org1).
  void set_anchor_peers(const std::map<std::string, std::vector<int>>& anchors_by_org,
                        const std::set<std::string>& external = {});

  void start(const std::string& id);
  void start_all();
  void signal(const std::string& id, int sig);
  void kill_hard(const std::string& id);  // SIGKILL and reap
  bool running(const std::string& id);

  std::optional<nlohmann::json> status(const std::string& id);
  // The ledger height /status reports for `channel`, or -1 if it does not answer.
  long long height(const std::string& id, const std::string& channel);

  // The ordering service (with_orderer only).
  void start_orderer();  // waits until it serves
  void kill_orderer();   // SIGKILL and reap
  std::string orderer_endpoint() const { return "127.0.0.1:" + std::to_string(orderer_port_); }
  // ledger_blockchain_height of `channel` on the orderer's /metrics, or -1.
  long long orderer_height(const std::string& channel);
  // `fabnet tx broadcast` of `count` 1 KB envelopes at `rate`/s as Org1's User1;
  // returns its exit status.
  int broadcast(const std::string& channel, int count, int rate);
  std::filesystem::path orderer_ledger() const { return root_ / "orderer" / "ledger"; }
  // Where peer `id` keeps its block stores (peer.fileSystemPath/ledgersData/chains).
  std::filesystem::path peer_ledger(const std::string& id) const;
  std::string metrics(const std::string& id);
  // Value of one sample line of /metrics, or -1 if absent.
  double metric(const std::string& id, const std::string& sample_prefix);

  // Polls `done` every 50 ms until it holds or `timeout` passes.
  static bool wait_until(const std::function<bool()>& done, milliseconds timeout);

  // Running, not paused peers of `org` on `channel` whose /status says they lead.
  std::vector<std::string> leaders(const std::string& channel, const std::string& org);
  // True when exactly one running member of (channel, org) leads and every running
  // member names it as leader. Sets `leader` to its id.
  bool settled(const std::string& channel, const std::string& org, std::string* leader = nullptr);
  // True when every running member of (channel, org) has every other running member
  // in its view. Until then (StateInfo still spreading) a settled group is not
  // stable: a member outside someone's view is ignored by its election.
  bool views_complete(const std::string& channel, const std::string& org);

  // Peers of `org` that join `channel` at start (or, for a channel nobody joins at
  // start, every peer of `org`: they may join later).
  std::vector<std::string> members(const std::string& channel, const std::string& org) const;
  PeerProcess& peer(const std::string& id) { return peers_.at(id); }
  const std::filesystem::path& root() const { return root_; }
  pid_t orderer_pid() const { return orderer_pid_; }  // 0 before start_orderer()
  // FABRIC_LOGGING_SPEC of peers started from now on.
  std::string peer_logging_spec = "gossip.election,gossip.comm=debug:info";
  std::string log_tail(const std::string& id, int lines = 20) const;
  std::string channels_file() const { return (root_ / "crypto" / "channels.yaml").string(); }
  std::filesystem::path msp_dir(const std::string& org, const std::string& name) const;

 private:
  void write_core_yaml(PeerProcess& p, const std::string& msp_id, const std::string& bootstrap);

  NetworkTls tls_;
  std::filesystem::path root_;
  NetworkTimings timings_;
  bool with_orderer_ = false;
  int orderer_port_ = 0;
  int orderer_ops_port_ = 0;
  pid_t orderer_pid_ = 0;
  std::map<std::string, PeerProcess> peers_;  // by id
  std::vector<std::string> order_;
  // SIGSTOPped peers: their kernel still accepts HTTP connections that never get
  // an answer, so polling them would only add timeouts.
  std::set<std::string> paused_;
};

int free_tcp_port();

// Starts argv[0] (a path) with stdout and stderr appended to `log`; returns its pid.
pid_t spawn_process(const std::vector<std::string>& argv, const std::filesystem::path& log);

}  // namespace fabnet::testing
