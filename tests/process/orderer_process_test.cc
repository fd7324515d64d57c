// `fabnet orderer start` as a process on 127.0.0.1: envelopes from `fabnet tx
// broadcast`, blocks read back with `fabnet orderer fetch` and checked with the
// ledger's BlockVerifier; a kill -9 mid-stream loses no acknowledged envelope.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config_block.h"
#include "crypto/msp.h"
#include "crypto/x509_crypto_service.h"
#include "ledger/block_verifier.h"
#include "ledger/memory_ledger.h"
#include "orderer/envelopes.h"
#include "peer_network.h"

#ifndef FABNET_BINARY
#error "FABNET_BINARY must name the fabnet executable"
#endif

namespace fabnet::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
  return spawn_process(argv, log);
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

class OrdererProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() /
            ("fabnet-orderer-process-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(root_);
    port_ = free_tcp_port();
    endpoint_ = "127.0.0.1:" + std::to_string(port_);
    std::ofstream(root_ / "network.yaml")
        << "orgs:\n"
           "  - {name: Org1, msp_id: Org1MSP, domain: org1.example.com, peers: 1}\n"
           "  - {name: Org2, msp_id: Org2MSP, domain: org2.example.com, peers: 1}\n"
           "channels:\n"
           "  - {name: mychannel, orgs: [Org1MSP, Org2MSP]}\n"
           "orderer: {name: Orderer, msp_id: OrdererMSP, domain: example.com, endpoints: ["
        << endpoint_ << "]}\n";
    ASSERT_EQ(wait_exit(spawn(
                  {FABNET_BINARY, "crypto", "generate", "--config",
                   (root_ / "network.yaml").string(), "--output", (root_ / "crypto").string()},
                  root_ / "generate.log")),
              0)
        << read_text(root_ / "generate.log");
    std::ofstream(root_ / "orderer.yaml")
        << "General:\n  ListenAddress: 127.0.0.1\n  ListenPort: " << port_
        << "\n  LocalMSPDir: crypto/ordererOrganizations/example.com/orderers/"
           "orderer.example.com/msp\n  LocalMSPID: OrdererMSP\n"
           "FileLedger:\n  Location: ledger\nOperations:\n  ListenAddress: 127.0.0.1:0\n";
    user_msp_ =
        (root_ / "crypto/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp")
            .string();
  }

  void TearDown() override {
    if (orderer_ > 0) {
      ::kill(orderer_, SIGKILL);
      ::waitpid(orderer_, nullptr, 0);
    }
    if (!HasFailure()) {
      std::error_code ec;
      fs::remove_all(root_, ec);
    } else {
      std::cerr << "orderer log:\n" << read_text(root_ / "orderer.log");
    }
  }

  // Starts the orderer and waits for its "started" log line.
  void start_orderer() {
    const std::size_t starts_before = count_starts();
    orderer_ =
        spawn({FABNET_BINARY, "orderer", "start", "--config", (root_ / "orderer.yaml").string(),
               "--channels", (root_ / "crypto" / "channels.yaml").string()},
              root_ / "orderer.log");
    ASSERT_TRUE(PeerNetwork::wait_until([&] { return count_starts() > starts_before; }, 20s))
        << read_text(root_ / "orderer.log");
  }
  std::size_t count_starts() const {
    const std::string log = read_text(root_ / "orderer.log");
    std::size_t n = 0;
    for (auto at = log.find("started: AtomicBroadcast"); at != std::string::npos;
         at = log.find("started: AtomicBroadcast", at + 1)) {
      ++n;
    }
    return n;
  }

  std::vector<std::string> broadcast_args(int count, int rate, const fs::path& acked) const {
    return {FABNET_BINARY,
            "tx",
            "broadcast",
            "--orderer",
            endpoint_,
            "--channel",
            "mychannel",
            "--count",
            std::to_string(count),
            "--rate",
            std::to_string(rate),
            "--size",
            "1024",
            "--msp",
            user_msp_,
            "--msp-id",
            "Org1MSP",
            "--acked-out",
            acked.string()};
  }

  // Fetches the whole chain as raw blocks, verifies each with BlockVerifier
  // (protocol.md §3.5) into a fresh ledger, and returns the tx_ids it holds.
  std::set<std::string> fetch_and_verify(std::uint64_t* height) {
    const fs::path dir = root_ / ("fetched-" + std::to_string(++fetches_));
    const int rc = wait_exit(
        spawn({FABNET_BINARY, "orderer", "fetch", "--orderer", endpoint_, "--channel", "mychannel",
               "--from", "0", "--out", dir.string(), "--msp", user_msp_, "--msp-id", "Org1MSP"},
              root_ / "fetch.log"));
    EXPECT_EQ(rc, 0) << read_text(root_ / "fetch.log");
    const crypto::LocalMsp client = crypto::load_local_msp(user_msp_, "Org1MSP");
    crypto::X509CryptoService crypto(client);
    const crypto::IdentityValidator orderer_org({{"OrdererMSP",
                                                  {read_text(root_ / "crypto/ordererOrganizations/"
                                                                     "example.com/ca/"
                                                                     "ca.example.com-cert.pem")}}});
    ledger::BlockVerifier verifier(
        "mychannel", {"OrdererMSP"}, crypto, [&orderer_org](std::string_view identity) {
          return orderer_org.validate(identity, std::chrono::system_clock::now()).ok();
        });
    ledger::MemoryLedger chain;
    std::set<std::string> tx_ids;
    for (std::uint64_t n = 0;; ++n) {
      const fs::path file = dir / ("mychannel_" + std::to_string(n) + ".block");
      if (!fs::exists(file)) break;
      const std::string bytes = read_text(file);
      common::Block block;
      EXPECT_TRUE(block.ParseFromString(bytes));
      const ledger::AppendResult result = ledger::verify_and_append(verifier, chain, block, bytes);
      EXPECT_TRUE(result.ok) << "block " << n << ": " << result.detail;
      if (!result.ok) break;
      for (const std::string& id : orderer::tx_ids_of(block)) tx_ids.insert(id);
    }
    *height = chain.height();
    return tx_ids;
  }

  fs::path root_;
  int port_ = 0;
  std::string endpoint_;
  std::string user_msp_;
  pid_t orderer_ = 0;
  int fetches_ = 0;
};

TEST_F(OrdererProcess, BroadcastEnvelopesComeBackInAVerifiedChain) {
  start_orderer();
  const fs::path acked = root_ / "acked.txt";
  const int rc = wait_exit(spawn(broadcast_args(200, 0, acked), root_ / "broadcast.log"));
  ASSERT_EQ(rc, 0) << read_text(root_ / "broadcast.log");
  EXPECT_NE(read_text(root_ / "broadcast.log").find("SUCCESS=200"), std::string::npos)
      << read_text(root_ / "broadcast.log");
  const std::vector<std::string> ids = read_lines(acked);
  ASSERT_EQ(ids.size(), 200u);
  std::uint64_t height = 0;
  const std::set<std::string> stored = fetch_and_verify(&height);
  EXPECT_GE(height, 21u);  // genesis + at least 200 / MaxMessageCount blocks
  for (const std::string& id : ids) EXPECT_TRUE(stored.contains(id)) << id;
}

TEST_F(OrdererProcess, BlockZeroIsTheChannelsFabricConfigBlock) {
  start_orderer();
  const fs::path dir = root_ / "genesis";
  const int rc = wait_exit(spawn({FABNET_BINARY, "orderer", "fetch", "--orderer", endpoint_,
                                  "--channel", "mychannel", "--from", "0", "--to", "0", "--out",
                                  dir.string(), "--msp", user_msp_, "--msp-id", "Org1MSP"},
                                 root_ / "fetch.log"));
  ASSERT_EQ(rc, 0) << read_text(root_ / "fetch.log");
  ASSERT_FALSE(fs::exists(dir / "mychannel_1.block"));
  const config::ChannelDefinitions read =
      config::channel_from_config_block_file(dir / "mychannel_0.block");
  ASSERT_EQ(read.channels.size(), 1u);
  EXPECT_EQ(read.channels[0].name, "mychannel");
  std::set<std::string> orgs;
  for (const config::ChannelOrg& org : read.channels[0].orgs) {
    orgs.insert(org.msp_id);
    EXPECT_NE(org.ca_cert_pem.find("BEGIN CERTIFICATE"), std::string::npos) << org.msp_id;
  }
  EXPECT_EQ(orgs, (std::set<std::string>{"Org1MSP", "Org2MSP"}));
  ASSERT_TRUE(read.orderer);
  EXPECT_EQ(read.orderer->msp_id, "OrdererMSP");
  EXPECT_EQ(read.orderer->endpoints, std::vector<std::string>{endpoint_});
  EXPECT_EQ(read.orderer->batch.max_message_count, 10u);
}

TEST_F(OrdererProcess, KillNineMidStreamLosesNoAcknowledgedEnvelope) {
  start_orderer();
  const fs::path acked = root_ / "acked.txt";
  const pid_t client = spawn(broadcast_args(5000, 1000, acked), root_ / "broadcast.log");
  // Mid-stream: once some envelopes are acknowledged, while more are in flight.
  ASSERT_TRUE(PeerNetwork::wait_until([&] { return read_lines(acked).size() >= 300; }, 30s))
      << read_text(root_ / "broadcast.log");
  ::kill(orderer_, SIGKILL);
  ::waitpid(orderer_, nullptr, 0);
  orderer_ = 0;
  EXPECT_NE(wait_exit(client), 0) << "the client saw its stream break";
  const std::vector<std::string> ids = read_lines(acked);
  ASSERT_LT(ids.size(), 5000u);

  start_orderer();
  EXPECT_NE(read_text(root_ / "orderer.log").find("resumes at height"), std::string::npos);
  std::uint64_t height = 0;
  const std::set<std::string> stored = fetch_and_verify(&height);
  std::size_t missing = 0;
  for (const std::string& id : ids) missing += stored.contains(id) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << "of " << ids.size() << " acknowledged envelopes";

  // The restarted orderer extends the same chain.
  const int rc =
      wait_exit(spawn(broadcast_args(20, 0, root_ / "acked2.txt"), root_ / "broadcast2.log"));
  EXPECT_EQ(rc, 0) << read_text(root_ / "broadcast2.log");
  std::uint64_t after = 0;
  const std::set<std::string> extended = fetch_and_verify(&after);
  EXPECT_GT(after, height);
  for (const std::string& id : read_lines(root_ / "acked2.txt")) EXPECT_TRUE(extended.contains(id));
}

}  // namespace
}  // namespace fabnet::testing
