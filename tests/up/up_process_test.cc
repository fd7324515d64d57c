// `fabnet up` end to end with real processes on 127.0.0.1: a small network with
// short timings, TLS on (the default), is started detached, loses its leader to
// kill -9, fails over, catches up, and is stopped by `fabnet down`: every process
// gone, every ledger the orderer's. A second network runs with `tls: false`.
// Whatever fails, the guard kills every process group recorded in the network's
// state file.

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "ledger/block_hash.h"
#include "ledger/block_store.h"
#include "up/layout.h"
#include "up/probe.h"
#include "up/processes.h"
#include "up/state.h"
#include "up/view.h"

#ifndef FABNET_BINARY
#error "FABNET_BINARY must name the fabnet executable"
#endif

namespace fabnet::up {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Sanitizer builds run every process several times slower (FABNET_SLOW_FACTOR).
int slow() {
  const char* factor = std::getenv("FABNET_SLOW_FACTOR");
  return factor ? std::max(1, std::atoi(factor)) : 1;
}

struct CliRun {
  int status = -1;  // exit status; -1 killed at the deadline
  std::string out, err;
};

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs fabnet with `args`, killing it (and its group) at `limit`.
CliRun fabnet(const fs::path& scratch, const std::vector<std::string>& args,
              std::chrono::seconds limit = 60s) {
  const fs::path out = scratch / "cli.out", err = scratch / "cli.err";
  fs::remove(out);
  fs::remove(err);
  std::vector<std::string> argv = {FABNET_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c;
  for (auto& a : argv) c.push_back(a.data());
  c.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execv(c[0], c.data());
    ::_exit(127);
  }
  CliRun r;
  const auto deadline = Clock::now() + limit;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.out = slurp(out);
      r.err = slurp(err) + "\n(killed at the deadline)";
      return r;
    }
    std::this_thread::sleep_for(50ms);
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

// A base from which `count` loopback ports are free now.
int free_port_base(int count) {
  std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int base = 20000 + static_cast<int>(rng() % 30000);
    bool free = true;
    for (int p = base; p < base + count && free; ++p) free = !port_in_use(p);
    if (free) return base;
  }
  throw std::runtime_error("no free port range");
}

// A scratch folder whose network, whatever happens, is killed at the end.
class Scratch {
 public:
  Scratch() {
    dir_ = fs::temp_directory_path() / ("fabnet-up-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  ~Scratch() {
    try {
      if (auto state = load_state(dir_ / "net")) {
        std::vector<Named> all;
        for (const auto& [n, p] : state->nodes) all.push_back({n, p});
        for (const auto& [n, p] : state->load) all.push_back({n, p});
        for (const auto& p : all)
          signal_group(p.process, SIGCONT), signal_group(p.process, SIGKILL);
      }
    } catch (const std::exception&) {
    }
    if (std::getenv("FABNET_KEEP_TEST_DIRS") == nullptr) {
      std::error_code ignored;
      fs::remove_all(dir_, ignored);
    }
  }
  const fs::path& dir() const { return dir_; }
  fs::path net() const { return dir_ / "net"; }

 private:
  fs::path dir_;
};

std::string small_network(int base) {
  return "orgs: [{name: Org1, peers: 2}, {name: Org2, peers: 2}]\n"
         "channels: [{name: mychannel}]\n"
         "election: {startupGracePeriod: 500ms, membershipSampleInterval: 100ms,\n"
         "           leaderAliveThreshold: 500ms, leaderElectionDuration: 500ms}\n"
         "gossip: {aliveTimeInterval: 500ms, aliveExpirationTimeout: 2500ms, reconnectInterval: "
         "2500ms}\n"
         "orderer: {BatchTimeout: 200ms, MaxMessageCount: 10}\n"
         "load: {rate: 50, size: 256}\n"
         "ports: {base: " +
         std::to_string(base) + "}\n";
}

std::pair<std::uint64_t, std::string> chain_end(const fs::path& ledger,
                                                const std::string& channel) {
  ledger::BlockStoreProvider stores(ledger);
  ledger::BlockStore& store = stores.open(channel);
  const std::uint64_t h = store.height();
  if (h == 0) return {0, ""};
  const auto block = store.block(h - 1);
  return {h, block ? ledger::header_hash(block->header()) : "missing"};
}

// `fabnet orderer fetch` of block 0 as the load's identity, with `extra` flags.
CliRun fetch_genesis(const fs::path& scratch, const Layout& layout,
                     const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"orderer",   "fetch",
                                   "--orderer", layout.orderer_endpoint,
                                   "--channel", "mychannel",
                                   "--from",    "0",
                                   "--to",      "0",
                                   "--msp",     layout.client_msp.string(),
                                   "--msp-id",  layout.client_msp_id};
  args.insert(args.end(), extra.begin(), extra.end());
  return fabnet(scratch, args, 30s);
}

TEST(UpProcess, UpDetachKillALeaderFailoverCatchUpAndDownLeaveNothingBehind) {
  Scratch scratch;
  const int base = free_port_base(10);
  std::ofstream(scratch.dir() / "network.yaml") << small_network(base);
  const CliRun up = fabnet(scratch.dir(),
                           {"up", (scratch.dir() / "network.yaml").string(), "--dir",
                            scratch.net().string(), "--detach"},
                           90s * slow());
  ASSERT_EQ(up.status, 0) << up.out << up.err;
  EXPECT_NE(up.out.find("mychannel"), std::string::npos) << up.out;

  const UpState state = running_network(scratch.net());
  const NetworkFile net = state.network();
  const Layout layout = plan_layout(net, scratch.net());
  auto snap = [&] { return probe(net, layout, *load_state(scratch.net()), 0); };
  for (const std::string org : {"Org1", "Org2"})
    EXPECT_TRUE(group_leader(snap(), "mychannel", org).agreed) << org;

  // The load flows over TLS: the orderer's chain grows and the peers follow.
  ASSERT_TRUE(layout.tls);
  EXPECT_NE(up.out.find("TLS on"), std::string::npos) << up.out;
  ASSERT_TRUE(wait_until([&] { return orderer_height(layout, "mychannel") > 5; }, 20s * slow()))
      << slurp(layout.load_log("mychannel"));

  // The orderer serves TLS only: a plaintext client is refused, the load's flags work.
  const CliRun plain = fetch_genesis(scratch.dir(), layout, {});
  EXPECT_NE(plain.status, 0) << plain.out << plain.err;
  const CliRun over_tls = fetch_genesis(scratch.dir(), layout, layout.client_tls_args());
  EXPECT_EQ(over_tls.status, 0) << over_tls.out << over_tls.err;

  const std::string leader = group_leader(snap(), "mychannel", "Org1").agreed_leader();
  ASSERT_FALSE(leader.empty());
  const CliRun kill = fabnet(scratch.dir(), {"kill", leader, "--dir", scratch.net().string()});
  ASSERT_EQ(kill.status, 0) << kill.err;
  std::string successor;
  EXPECT_TRUE(wait_until(
      [&] {
        successor = group_leader(snap(), "mychannel", "Org1").agreed_leader();
        return !successor.empty() && successor != leader;
      },
      20s * slow()))
      << "no failover from " << leader;

  // Quiet the load, bring the killed peer back, and wait until everyone is level.
  ASSERT_EQ(fabnet(scratch.dir(), {"load", "--rate", "0", "--dir", scratch.net().string()}).status,
            0);
  const CliRun restart =
      fabnet(scratch.dir(), {"restart", leader, "--dir", scratch.net().string()});
  ASSERT_EQ(restart.status, 0) << restart.err;
  long long target = -1;
  std::string heights;
  EXPECT_TRUE(wait_until(
      [&] {
        target = orderer_height(layout, "mychannel");
        const Snapshot s = snap();
        heights.clear();
        bool level = s.peers.size() == 4;
        for (const PeerSample& p : s.peers) {
          const auto on = p.on.find("mychannel");
          const long long h = on == p.on.end() ? -1 : on->second.height;
          heights += p.name + "=" + std::to_string(h) + " ";
          level = level && h == target;
        }
        return target > 5 && level;
      },
      40s * slow()))
      << "orderer " << target << "; " << heights;

  const CliRun status = fabnet(scratch.dir(), {"status", "--dir", scratch.net().string()});
  EXPECT_EQ(status.status, 0) << status.err;
  EXPECT_NE(status.out.find("orderer height " + std::to_string(target)), std::string::npos)
      << status.out;

  const CliRun down = fabnet(scratch.dir(), {"down", "--dir", scratch.net().string()}, 40s);
  EXPECT_EQ(down.status, 0) << down.err;
  const UpState after = *load_state(scratch.net());
  for (const auto& [name, p] : after.nodes) EXPECT_EQ(state_of(p), ProcessState::kGone) << name;
  for (const auto& [name, p] : after.load) EXPECT_EQ(state_of(p), ProcessState::kGone) << name;
  const CliRun stale = fabnet(scratch.dir(), {"status", "--dir", scratch.net().string()});
  EXPECT_EQ(stale.status, 1);
  EXPECT_NE(stale.err.find("stale"), std::string::npos) << stale.err;

  const auto orderer = chain_end(layout.ledger_dir(layout.nodes.front()), "mychannel");
  EXPECT_EQ(static_cast<long long>(orderer.first), target);
  for (const Node& node : layout.nodes) {
    if (node.is_peer()) {
      EXPECT_EQ(chain_end(layout.ledger_dir(node), "mychannel"), orderer) << node.name;
    }
  }
}

TEST(UpProcess, WithTlsOffTheNetworkRunsInPlaintext) {
  Scratch scratch;
  const int base = free_port_base(10);
  std::ofstream(scratch.dir() / "network.yaml") << small_network(base) << "tls: false\n";
  const CliRun up = fabnet(scratch.dir(),
                           {"up", (scratch.dir() / "network.yaml").string(), "--dir",
                            scratch.net().string(), "--detach"},
                           90s * slow());
  ASSERT_EQ(up.status, 0) << up.out << up.err;
  EXPECT_NE(up.out.find("TLS off"), std::string::npos) << up.out;
  const UpState state = running_network(scratch.net());
  const NetworkFile net = state.network();
  const Layout layout = plan_layout(net, scratch.net());
  ASSERT_FALSE(layout.tls);

  // Blocks reach every peer (through its org's leader and gossip), and a plaintext
  // client reads the orderer.
  std::string heights;
  EXPECT_TRUE(wait_until(
      [&] {
        const Snapshot s = probe(net, layout, *load_state(scratch.net()), 0);
        heights.clear();
        bool all = s.peers.size() == 4;
        for (const PeerSample& p : s.peers) {
          const auto on = p.on.find("mychannel");
          const long long h = on == p.on.end() ? -1 : on->second.height;
          heights += p.name + "=" + std::to_string(h) + " ";
          all = all && h > 3;
        }
        return all;
      },
      20s * slow()))
      << heights;
  const CliRun plain = fetch_genesis(scratch.dir(), layout, {});
  EXPECT_EQ(plain.status, 0) << plain.out << plain.err;

  const CliRun down = fabnet(scratch.dir(), {"down", "--dir", scratch.net().string()}, 40s);
  EXPECT_EQ(down.status, 0) << down.err;
  const UpState after = *load_state(scratch.net());
  for (const auto& [name, p] : after.nodes) EXPECT_EQ(state_of(p), ProcessState::kGone) << name;
}

TEST(UpProcess, APortInUseIsAClearErrorAndNothingIsStarted) {
  Scratch scratch;
  const int base = free_port_base(10);
  std::ofstream(scratch.dir() / "network.yaml") << small_network(base);
  // Hold peer0.org1's gossip port (the orderer takes base and base+1).
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(base + 2));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  const auto started = Clock::now();
  const CliRun up = fabnet(scratch.dir(),
                           {"up", (scratch.dir() / "network.yaml").string(), "--dir",
                            scratch.net().string(), "--detach"},
                           30s);
  ::close(fd);
  EXPECT_EQ(up.status, 1) << up.out << up.err;
  EXPECT_LT(Clock::now() - started, 10s);
  EXPECT_NE(up.err.find("port " + std::to_string(base + 2) + " (peer0.org1 gossip) is in use"),
            std::string::npos)
      << up.err;
  EXPECT_NE(up.err.find("ports.base"), std::string::npos) << up.err;
  EXPECT_FALSE(fs::exists(state_file(scratch.net())));
}

TEST(UpProcess, ABadNetworkFileIsOneLineNamingTheKey) {
  Scratch scratch;
  std::ofstream(scratch.dir() / "network.yaml")
      << "orgs: [{name: Org1, peers: many}]\nchannels: [{name: c}]\n";
  const CliRun up = fabnet(scratch.dir(), {"up", (scratch.dir() / "network.yaml").string(), "--dir",
                                           scratch.net().string()});
  EXPECT_EQ(up.status, 2);
  EXPECT_NE(up.err.find("orgs[0].peers: \"many\" is not a whole number"), std::string::npos)
      << up.err;
  EXPECT_EQ(std::count(up.err.begin(), up.err.end(), '\n'), 1) << up.err;
}

TEST(UpProcess, AStaleFolderIsRecognisedAndAForeignOneRefused) {
  Scratch scratch;
  fs::create_directories(scratch.net());
  UpState dead;
  dead.network_text = "orgs: [{name: Org1}]\nchannels: [{name: c}]\n";
  dead.network_source = "x";
  dead.nodes["orderer"] = {999999, 12345};  // no such process
  dead.started_at = "2020-01-01T00:00:00Z";
  save_state(scratch.net(), dead);
  const CliRun status = fabnet(scratch.dir(), {"status", "--dir", scratch.net().string()});
  EXPECT_EQ(status.status, 1);
  EXPECT_NE(status.err.find("stale"), std::string::npos) << status.err;
  const CliRun kill = fabnet(scratch.dir(), {"kill", "orderer", "--dir", scratch.net().string()});
  EXPECT_EQ(kill.status, 1);

  const fs::path foreign = scratch.dir() / "foreign";
  fs::create_directories(foreign);
  std::ofstream(foreign / "precious.txt") << "x";
  const CliRun up = fabnet(scratch.dir(), {"up", "--dir", foreign.string()});
  EXPECT_EQ(up.status, 2);
  EXPECT_NE(up.err.find("is not a fabnet up folder"), std::string::npos) << up.err;
  EXPECT_TRUE(fs::exists(foreign / "precious.txt"));
}

}  // namespace
}  // namespace fabnet::up
