#include "peer_network.h"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef FABNET_BINARY
#error "FABNET_BINARY must name the fabnet executable"
#endif

namespace fabnet::testing {

namespace fs = std::filesystem;

int any_free_tcp_port();

// A port nobody listens on now and that this process has not handed out before:
// the kernel may offer the same ephemeral port twice in a row once its socket is
// closed, and two peers given one port would fail to start.
int free_tcp_port() {
  static std::set<int> handed_out;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int port = any_free_tcp_port();
    if (handed_out.insert(port).second) return port;
  }
  throw std::runtime_error("no unused loopback port found");
}

int any_free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

pid_t spawn_process(const std::vector<std::string>& argv, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

namespace {

std::string domain_of(const std::string& org) {
  return org + ".example.com";
}
std::string msp_id_of(const std::string& org) {
  std::string id = org;
  id[0] = static_cast<char>(std::toupper(id[0]));
  return id + "MSP";
}

int run_command(const std::vector<std::string>& argv, const fs::path& log) {
  const pid_t pid = spawn_process(argv, log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

PeerNetwork::PeerNetwork(std::vector<std::string> orgs, int peers_per_org,
                         std::map<std::string, std::vector<int>> channel_members,
                         NetworkTimings timings, bool with_orderer, NetworkTls tls)
    : tls_(tls), timings_(std::move(timings)), with_orderer_(with_orderer) {
  std::random_device rd;
  root_ = fs::temp_directory_path() /
          ("fabnet-process-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(root_);

  std::ostringstream network;
  network << "orgs:\n";
  for (const auto& org : orgs)
    network << "  - name: " << org << "\n    msp_id: " << msp_id_of(org)
            << "\n    domain: " << domain_of(org) << "\n    peers: " << peers_per_org + 1 << "\n";
  network << "channels:\n";
  for (const auto& [channel, members] : channel_members) {
    network << "  - name: " << channel << "\n    orgs: [";
    for (std::size_t i = 0; i < orgs.size(); ++i) network << (i ? ", " : "") << msp_id_of(orgs[i]);
    network << "]\n";
  }
  if (with_orderer_) {
    orderer_port_ = free_tcp_port();
    orderer_ops_port_ = free_tcp_port();
    network << "orderer:\n  name: Orderer\n  msp_id: OrdererMSP\n  domain: example.com\n"
            << "  endpoints: [" << orderer_endpoint() << "]\n  BatchTimeout: 200ms\n";
    fs::create_directories(root_ / "orderer");
    std::ofstream(root_ / "orderer" / "orderer.yaml")
        << "General:\n  ListenAddress: 127.0.0.1\n  ListenPort: " << orderer_port_
        << "\n  LocalMSPDir: ../crypto/ordererOrganizations/example.com/orderers/"
           "orderer.example.com/msp\n  LocalMSPID: OrdererMSP\n"
           "FileLedger:\n  Location: ledger\nOperations:\n  ListenAddress: 127.0.0.1:"
        << orderer_ops_port_ << "\n";
    if (tls_.enabled) {
      // ORDERER_GENERAL_TLS_* over orderer.yaml, as for the peers (start_orderer()), with
      // the cryptogen material of `crypto generate`: clients' certificates come from
      // the peer orgs' TLS CAs.
      const std::string tls =
          "../crypto/ordererOrganizations/example.com/orderers/orderer.example.com/tls/";
      std::string client_cas;
      for (const auto& org : orgs)
        client_cas += (client_cas.empty() ? "" : " ") +
                      (root_ / "crypto" / "peerOrganizations" / domain_of(org) / "tlsca" /
                       ("tlsca." + domain_of(org) + "-cert.pem"))
                          .string();
      std::ofstream(root_ / "orderer" / "tls.env")
          << "ORDERER_GENERAL_TLS_ENABLED=true\n"
          << "ORDERER_GENERAL_TLS_PRIVATEKEY=" << tls << "server.key\n"
          << "ORDERER_GENERAL_TLS_CERTIFICATE=" << tls << "server.crt\n"
          << "ORDERER_GENERAL_TLS_ROOTCAS=" << tls << "ca.crt\n"
          << "ORDERER_GENERAL_TLS_CLIENTAUTHREQUIRED="
          << (tls_.client_auth_required ? "true" : "false") << "\n"
          << "ORDERER_GENERAL_TLS_CLIENTROOTCAS=" << client_cas << "\n";
    }
  }
  std::ofstream(root_ / "network.yaml") << network.str();
  // One spare identity per org (the last peer) for test clients and impostors.
  const int rc =
      run_command({FABNET_BINARY, "crypto", "generate", "--config",
                   (root_ / "network.yaml").string(), "--output", (root_ / "crypto").string()},
                  root_ / "crypto-generate.log");
  if (rc != 0) throw std::runtime_error("fabnet crypto generate failed, see " + root_.string());

  for (const auto& org : orgs) {
    std::string bootstrap;
    for (int i = 0; i < peers_per_org; ++i) {
      PeerProcess p;
      p.spec.name = "peer" + std::to_string(i);
      p.spec.org = org;
      p.spec.msp_id = msp_id_of(org);
      for (const auto& [channel, members] : channel_members)
        if (std::find(members.begin(), members.end(), i) != members.end())
          p.spec.channels.push_back(channel);
      p.gossip_port = free_tcp_port();
      p.ops_port = free_tcp_port();
      p.dir = root_ / p.id();
      fs::create_directories(p.dir);
      if (bootstrap.empty()) bootstrap = p.endpoint();
      write_core_yaml(p, p.spec.msp_id, bootstrap);
      order_.push_back(p.id());
      peers_.emplace(p.id(), std::move(p));
    }
  }
}

PeerNetwork::~PeerNetwork() {
  kill_orderer();
  for (auto& [id, p] : peers_) {
    if (p.pid > 0) {
      ::kill(p.pid, SIGCONT);
      ::kill(p.pid, SIGKILL);
      ::waitpid(p.pid, nullptr, 0);
    }
  }
  if (std::getenv("FABNET_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
}

fs::path PeerNetwork::msp_dir(const std::string& org, const std::string& name) const {
  return root_ / "crypto" / "peerOrganizations" / domain_of(org) / "peers" /
         (name + "." + domain_of(org)) / "msp";
}

void PeerNetwork::write_core_yaml(PeerProcess& p, const std::string& msp_id,
                                  const std::string& bootstrap) {
  std::ofstream out(p.dir / "core.yaml");
  out << "peer:\n"
      << "  id: " << p.id() << "\n"
      << "  address: " << p.endpoint() << "\n"
      << "  listenAddress: " << p.endpoint() << "\n"
      << "  localMspId: " << msp_id << "\n"
      << "  mspConfigPath: " << msp_dir(p.spec.org, p.spec.name).string() << "\n"
      << "  fileSystemPath: " << (p.dir / "data").string() << "\n"
      << "  gossip:\n"
      << "    bootstrap: " << bootstrap << "\n"
      << (p.external_endpoint ? "    externalEndpoint: " + p.endpoint() + "\n" : "")
      << "    useLeaderElection: true\n"
      << "    orgLeader: false\n"
      << "    aliveTimeInterval: " << timings_.alive_interval << "\n"
      << "    aliveExpirationTimeout: " << timings_.alive_expiration << "\n"
      << "    reconnectInterval: " << timings_.reconnect << "\n"
      << "    election:\n"
      << "      startupGracePeriod: " << timings_.startup_grace << "\n"
      << "      membershipSampleInterval: " << timings_.sample << "\n"
      << "      leaderAliveThreshold: " << timings_.alive_threshold << "\n"
      << "      leaderElectionDuration: " << timings_.election_duration << "\n"
      << timings_.extra_gossip << "operations:\n"
      << "  listenAddress: 127.0.0.1:" << p.ops_port << "\n";
  if (tls_.enabled) {
    // As the fabric-samples test network configures its peers: CORE_PEER_TLS_*
    // variables over a core.yaml without them (start() exports this file's lines),
    // pointing into cryptogen's peers/<peer>.<domain>/tls/ folder. Every org's TLS CA
    // is trusted for clients, so orgs may dial each other.
    const fs::path tls = root_ / "crypto" / "peerOrganizations" / domain_of(p.spec.org) / "peers" /
                         (p.spec.name + "." + domain_of(p.spec.org)) / "tls";
    std::string client_cas;
    for (const auto& entry : fs::directory_iterator(root_ / "crypto" / "peerOrganizations")) {
      const std::string domain = entry.path().filename().string();
      const fs::path ca = entry.path() / "tlsca" / ("tlsca." + domain + "-cert.pem");
      client_cas += (client_cas.empty() ? "" : " ") + ca.string();
    }
    std::ofstream(p.dir / "tls.env")
        << "CORE_PEER_TLS_ENABLED=true\n"
        << "CORE_PEER_TLS_CLIENTAUTHREQUIRED=" << (tls_.client_auth_required ? "true" : "false")
        << "\nCORE_PEER_TLS_CERT_FILE=" << (tls / "server.crt").string()
        << "\nCORE_PEER_TLS_KEY_FILE=" << (tls / "server.key").string()
        << "\nCORE_PEER_TLS_ROOTCERT_FILE=" << (tls / "ca.crt").string()
        << "\nCORE_PEER_TLS_CLIENTROOTCAS_FILES=" << client_cas << "\n";
  }
}

PeerProcess& PeerNetwork::add_impostor(const std::string& name, const std::string& real_org,
                                       const std::string& claimed_msp_id,
                                       const std::string& channel) {
  PeerProcess p;
  p.spec.name = name;
  p.spec.org = real_org;
  p.spec.msp_id = claimed_msp_id;
  p.spec.claimed_msp_id = claimed_msp_id;
  p.spec.channels = {channel};
  p.gossip_port = free_tcp_port();
  p.ops_port = free_tcp_port();
  p.dir = root_ / (name + ".impostor");
  fs::create_directories(p.dir);
  // Bootstrap into the org it claims.
  std::string bootstrap;
  for (const auto& id : order_)
    if (peers_.at(id).spec.msp_id == claimed_msp_id) {
      bootstrap = peers_.at(id).endpoint();
      break;
    }
  write_core_yaml(p, claimed_msp_id, bootstrap);
  const std::string id = p.id();
  peers_.emplace(id, std::move(p));
  return peers_.at(id);
}

void PeerNetwork::set_anchor_peers(const std::map<std::string, std::vector<int>>& anchors_by_org,
                                   const std::set<std::string>& external) {
  std::map<std::string, std::string> anchors_by_msp_id;  // MSP ID -> "[host:port, ...]"
  std::set<std::string> with_external = external;
  for (const auto& [org, indexes] : anchors_by_org) {
    std::string list;
    for (int i : indexes) {
      const std::string id = "peer" + std::to_string(i) + "." + org;
      list += (list.empty() ? "" : ", ") + peers_.at(id).endpoint();
      with_external.insert(id);
    }
    anchors_by_msp_id[msp_id_of(org)] = "[" + list + "]";
  }
  // channels.yaml as `crypto generate` wrote it: each member org is a mapping
  // starting with msp_id; its anchor_peers go right below, at the same indent.
  std::ifstream in(channels_file());
  std::ostringstream out;
  for (std::string line; std::getline(in, line);) {
    out << line << "\n";
    const auto key = line.find("msp_id: ");
    if (key == std::string::npos) continue;
    const auto it = anchors_by_msp_id.find(line.substr(key + 8));
    if (it != anchors_by_msp_id.end())
      out << std::string(key, ' ') << "anchor_peers: " << it->second << "\n";
  }
  in.close();
  std::ofstream(channels_file()) << out.str();
  for (const std::string& id : with_external) {
    PeerProcess& p = peers_.at(id);
    p.external_endpoint = true;
    write_core_yaml(p, p.spec.msp_id, peers_.at("peer0." + p.spec.org).endpoint());
  }
}

void PeerNetwork::start(const std::string& id) {
  PeerProcess& p = peers_.at(id);
  std::vector<std::string> argv = {
      FABNET_BINARY, "peer",         "start", "--config", (p.dir / "core.yaml").string(),
      "--channels",  channels_file()};
  if (p.without_channels_file) argv.resize(5);
  for (const auto& channel :
       p.without_channels_file ? std::vector<std::string>{} : p.spec.channels) {
    argv.push_back("--join");
    argv.push_back(channel);
  }
  std::vector<std::pair<std::string, std::string>> env;  // tls.env, read before the fork
  {
    std::ifstream in(p.dir / "tls.env");
    for (std::string line; std::getline(in, line);) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) env.emplace_back(line.substr(0, eq), line.substr(eq + 1));
    }
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open((p.dir / "log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    // Election events at debug: a failing timing test can then show each round.
    ::setenv("FABRIC_LOGGING_SPEC", peer_logging_spec.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  p.pid = pid;
}

void PeerNetwork::start_all() {
  for (const auto& id : order_) start(id);
}

void PeerNetwork::signal(const std::string& id, int sig) {
  PeerProcess& p = peers_.at(id);
  if (p.pid > 0) ::kill(p.pid, sig);
  if (sig == SIGSTOP) paused_.insert(id);
  if (sig == SIGCONT) paused_.erase(id);
}

void PeerNetwork::kill_hard(const std::string& id) {
  PeerProcess& p = peers_.at(id);
  if (p.pid <= 0) return;
  ::kill(p.pid, SIGKILL);
  ::waitpid(p.pid, nullptr, 0);
  p.pid = 0;
}

bool PeerNetwork::running(const std::string& id) {
  PeerProcess& p = peers_.at(id);
  if (p.pid <= 0) return false;
  int status = 0;
  if (::waitpid(p.pid, &status, WNOHANG) == p.pid) {
    p.pid = 0;
    return false;
  }
  return true;
}

std::optional<nlohmann::json> PeerNetwork::status(const std::string& id) {
  PeerProcess& p = peers_.at(id);
  httplib::Client client("127.0.0.1", p.ops_port);
  client.set_connection_timeout(0, 300'000);
  client.set_read_timeout(1, 0);
  auto response = client.Get("/status");
  if (!response || response->status != 200) return std::nullopt;
  try {
    auto json = nlohmann::json::parse(response->body);
    if (json.contains("pki_id")) p.pki_id_hex = json["pki_id"].get<std::string>();
    return json;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

long long PeerNetwork::height(const std::string& id, const std::string& channel) {
  const auto s = status(id);
  if (!s || !s->contains("channels") || !(*s)["channels"].contains(channel)) return -1;
  const auto& h = (*s)["channels"][channel]["height"];
  return h.is_number() ? h.get<long long>() : -1;
}

fs::path PeerNetwork::peer_ledger(const std::string& id) const {
  return peers_.at(id).dir / "data" / "ledgersData" / "chains";
}

void PeerNetwork::start_orderer() {
  if (!with_orderer_) throw std::logic_error("this network has no orderer");
  const fs::path dir = root_ / "orderer";
  std::vector<std::pair<std::string, std::string>> env;  // tls.env, read before the fork
  {
    std::ifstream in(dir / "tls.env");
    for (std::string line; std::getline(in, line);) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) env.emplace_back(line.substr(0, eq), line.substr(eq + 1));
    }
  }
  orderer_pid_ = ::fork();
  if (orderer_pid_ == 0) {
    const int fd = ::open((dir / "log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    const std::string config = (dir / "orderer.yaml").string();
    const std::string channels = channels_file();
    ::execl(FABNET_BINARY, FABNET_BINARY, "orderer", "start", "--config", config.c_str(),
            "--channels", channels.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (!wait_until([&] { return orderer_height("") >= 0; }, milliseconds(20000)))
    throw std::runtime_error("the orderer did not start, see " + (dir / "log").string());
}

void PeerNetwork::kill_orderer() {
  if (orderer_pid_ <= 0) return;
  ::kill(orderer_pid_, SIGKILL);
  ::waitpid(orderer_pid_, nullptr, 0);
  orderer_pid_ = 0;
}

long long PeerNetwork::orderer_height(const std::string& channel) {
  httplib::Client client("127.0.0.1", orderer_ops_port_);
  client.set_connection_timeout(0, 300'000);
  client.set_read_timeout(1, 0);
  auto response = client.Get("/metrics");
  if (!response || response->status != 200) return -1;
  if (channel.empty()) return 0;  // serving
  const std::string prefix = "ledger_blockchain_height{channel=\"" + channel + "\"} ";
  const auto at = response->body.find(prefix);
  if (at == std::string::npos) return -1;
  return std::atoll(response->body.c_str() + at + prefix.size());
}

int PeerNetwork::broadcast(const std::string& channel, int count, int rate) {
  const fs::path user = root_ / "crypto" / "peerOrganizations" / domain_of("org1") / "users" /
                        ("User1@" + domain_of("org1")) / "msp";
  std::vector<std::string> argv{FABNET_BINARY,
                                "tx",
                                "broadcast",
                                "--orderer",
                                orderer_endpoint(),
                                "--channel",
                                channel,
                                "--count",
                                std::to_string(count),
                                "--rate",
                                std::to_string(rate),
                                "--size",
                                "1024",
                                "--msp",
                                user.string(),
                                "--msp-id",
                                msp_id_of("org1")};
  if (tls_.enabled) {
    const fs::path orderer_tlsca = root_ / "crypto" / "ordererOrganizations" / "example.com" /
                                   "tlsca" / "tlsca.example.com-cert.pem";
    const fs::path tls = user.parent_path() / "tls";
    for (const std::string& arg :
         {std::string("--tls"), std::string("--cafile"), orderer_tlsca.string()})
      argv.push_back(arg);
    if (tls_.client_auth_required) {
      for (const std::string& arg :
           {std::string("--clientauth"), std::string("--certfile"), (tls / "client.crt").string(),
            std::string("--keyfile"), (tls / "client.key").string()})
        argv.push_back(arg);
    }
  }
  return run_command(argv, root_ / "broadcast.log");
}

std::string PeerNetwork::metrics(const std::string& id) {
  httplib::Client client("127.0.0.1", peers_.at(id).ops_port);
  client.set_connection_timeout(0, 300'000);
  client.set_read_timeout(1, 0);
  auto response = client.Get("/metrics");
  return response && response->status == 200 ? response->body : std::string();
}

double PeerNetwork::metric(const std::string& id, const std::string& sample_prefix) {
  std::istringstream lines(metrics(id));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(sample_prefix + " ", 0) == 0)
      return std::stod(line.substr(sample_prefix.size() + 1));
  }
  return -1;
}

bool PeerNetwork::wait_until(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return done();
}

std::vector<std::string> PeerNetwork::members(const std::string& channel,
                                              const std::string& org) const {
  std::vector<std::string> out, everyone;
  for (const auto& id : order_) {
    const PeerProcess& p = peers_.at(id);
    if (p.spec.org != org || !p.spec.claimed_msp_id.empty()) continue;
    everyone.push_back(id);
    if (std::find(p.spec.channels.begin(), p.spec.channels.end(), channel) != p.spec.channels.end())
      out.push_back(id);
  }
  return out.empty() ? everyone : out;
}

std::vector<std::string> PeerNetwork::leaders(const std::string& channel, const std::string& org) {
  std::vector<std::string> out;
  for (const auto& id : members(channel, org)) {
    if (!running(id) || paused_.contains(id)) continue;
    auto s = status(id);
    if (s && (*s)["channels"].contains(channel) && (*s)["channels"][channel]["is_leader"] == true)
      out.push_back(id);
  }
  return out;
}

bool PeerNetwork::settled(const std::string& channel, const std::string& org, std::string* leader) {
  std::vector<std::string> leading;
  std::vector<std::string> believed;
  for (const auto& id : members(channel, org)) {
    if (!running(id) || paused_.contains(id)) continue;
    auto s = status(id);
    if (!s || !(*s)["channels"].contains(channel)) return false;
    const auto& c = (*s)["channels"][channel];
    if (c["is_leader"] == true) leading.push_back(id);
    believed.push_back(c["leader"].is_null() ? "" : c["leader"].get<std::string>());
  }
  if (leading.size() != 1) return false;
  const std::string leader_pki = peers_.at(leading[0]).pki_id_hex;
  for (const auto& b : believed)
    if (b != leader_pki) return false;
  if (leader) *leader = leading[0];
  return true;
}

bool PeerNetwork::views_complete(const std::string& channel, const std::string& org) {
  std::vector<std::string> up;
  for (const auto& id : members(channel, org))
    if (running(id) && !paused_.contains(id)) up.push_back(id);
  for (const auto& id : up) {
    auto s = status(id);
    if (!s || !(*s)["channels"].contains(channel)) return false;
    std::set<std::string> view;
    for (const auto& entry : (*s)["channels"][channel]["view"])
      view.insert(entry["pki_id"].get<std::string>());
    for (const auto& other : up)
      if (other != id && !view.contains(peers_.at(other).pki_id_hex)) return false;
  }
  return true;
}

std::string PeerNetwork::log_tail(const std::string& id, int lines) const {
  std::ifstream in(peers_.at(id).dir / "log");
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += l + "\n";
  return out;
}

}  // namespace fabnet::testing
