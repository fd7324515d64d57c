// `fabnet sim`: exit codes, the report it prints, the files --out gets, and
// one-line errors for bad scenarios. Scenarios are tiny, with fast timings, so
// every run takes a few virtual seconds.

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/sim_command.h"
#include "sim/explore.h"
#include "sim/scenario.h"

namespace fabnet::cli {
namespace {

namespace fs = std::filesystem;

struct SimRun {
  int status = -1;
  std::string out;
  std::string err;
};

SimRun fabnet_sim(std::vector<std::string> args) {
  args.insert(args.begin(), {"fabnet", "sim"});
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out;
  std::ostringstream err;
  const int status = run_fabnet(static_cast<int>(argv.size()), argv.data(), out, err);
  return {status, out.str(), err.str()};
}

// Two orgs of two peers on one channel, fast timings, Org1's leader crashes at
// 6s; long enough for the failover, the settling time and the invariant checks.
std::string tiny_scenario(const std::string& extra_fault = "", const std::string& extra_top = "") {
  return "name: tiny\n"
         "seed: 3\n"
         "duration: 20s\n" +
         extra_top +
         "network:\n"
         "  orgs:\n"
         "    - {name: org1, msp_id: Org1MSP, peers: 2}\n"
         "    - {name: org2, msp_id: Org2MSP, peers: 2}\n"
         "  channels:\n"
         "    - {name: ch, orgs: [org1, org2]}\n"
         "settings:\n"
         "  peer:\n"
         "    gossip:\n"
         "      useLeaderElection: true\n"
         "      election:\n"
         "        startupGracePeriod: 1s\n"
         "        membershipSampleInterval: 100ms\n"
         "        leaderAliveThreshold: 1s\n"
         "        leaderElectionDuration: 500ms\n"
         "      aliveTimeInterval: 500ms\n"
         "      aliveExpirationTimeout: 2.5s\n"
         "      reconnectInterval: 2.5s\n"
         "      pullInterval: 500ms\n"
         "      publishStateInfoInterval: 500ms\n"
         "      requestStateInfoInterval: 500ms\n"
         "      publishCertPeriod: 1h\n"
         "link: {latency: 5ms, jitter: 5ms}\n"
         "faults:\n"
         "  - {at: 6s, kind: crash, leader_of: {channel: ch, org: org1}}\n" +
         extra_fault;
}

class SimCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("fabnet-sim-test-") + info->name() + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_scenario(const std::string& text, const std::string& name = "tiny.yaml") {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
};

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST_F(SimCommandTest, RunsAScenarioFileAndPrintsTheReport) {
  const SimRun r = fabnet_sim({write_scenario(tiny_scenario())});
  ASSERT_EQ(r.status, kExitOk) << r.err << r.out;
  EXPECT_NE(r.out.find("Scenario \"tiny\", seed 3: 4 peers in 2 (channel, org) groups"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ch/Org1MSP"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("crash at 6s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("leadership_msg"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Event log hash: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Invariants checked from"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << "no progress bar off a terminal for one run: " << r.err;
}

TEST_F(SimCommandTest, SeedOverridesTheScenariosAndReplaysExactly) {
  const std::string path = write_scenario(tiny_scenario());
  const SimRun a = fabnet_sim({path, "--seed", "11", "--quiet"});
  const SimRun b = fabnet_sim({path, "--seed", "11", "--quiet"});
  ASSERT_EQ(a.status, kExitOk) << a.err;
  EXPECT_TRUE(a.out.starts_with("seed 11: ")) << a.out;
  EXPECT_EQ(line_count(a.out), 1u) << a.out;
  EXPECT_EQ(a.out, b.out) << "same seed, same summary and hash";
  EXPECT_TRUE(a.err.empty()) << "--quiet draws no progress: " << a.err;
}

TEST_F(SimCommandTest, SeveralRunsWriteJsonSvgsAndAScenarioThatReplaysRunOne) {
  const fs::path out = dir_ / "out" / "nested";
  const SimRun r =
      fabnet_sim({write_scenario(tiny_scenario()), "--runs", "2", "--out", out.string()});
  ASSERT_EQ(r.status, kExitOk) << r.err << r.out;
  EXPECT_NE(r.out.find("2 runs, seeds 3 .. 4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seed 3: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seed 4: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Failovers over 2 runs"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("2/2 runs"), std::string::npos) << "progress for K > 1: " << r.err;

  for (const char* file :
       {"report.json", "scenario.yaml", "timeline-3.svg", "timeline-4.svg", "failover-cdf.svg"})
    EXPECT_TRUE(fs::exists(out / file)) << file;
  EXPECT_FALSE(fs::exists(out / "timeline.svg"));

  const nlohmann::json report = nlohmann::json::parse(read(out / "report.json"));
  EXPECT_EQ(report["scenario"], "tiny");
  ASSERT_EQ(report["runs"].size(), 2u);
  EXPECT_EQ(report["runs"][0]["seed"], 3);
  EXPECT_EQ(report["runs"][1]["seed"], 4);
  EXPECT_EQ(report["runs"][0]["groups"].size(), 2u);
  EXPECT_EQ(report["failover_summary"].back()["cause"], "all");
  EXPECT_TRUE(report["failover_bound"]["high_s"].is_number());
  EXPECT_TRUE(read(out / "failover-cdf.svg").starts_with("<svg"));

  // The saved scenario replays run 1 event for event.
  const SimRun replay = fabnet_sim({(out / "scenario.yaml").string(), "--quiet"});
  ASSERT_EQ(replay.status, kExitOk) << replay.err;
  const std::string hash = report["runs"][0]["event_log_hash"];
  EXPECT_NE(replay.out.find("hash " + hash.substr(0, 16)), std::string::npos) << replay.out;
}

TEST_F(SimCommandTest, OneRunWritesTimelineSvg) {
  const fs::path out = dir_ / "one";
  const SimRun r = fabnet_sim({write_scenario(tiny_scenario()), "--quiet", "--out", out.string()});
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const std::string svg = read(out / "timeline.svg");
  EXPECT_TRUE(svg.starts_with("<svg")) << svg.substr(0, 100);
  EXPECT_NE(svg.find("class=\"span\""), std::string::npos);
  EXPECT_NE(svg.find("<g class=\"fault\" data-kind=\"crash\""), std::string::npos);
}

TEST_F(SimCommandTest, BlocksAreReportedAndThePropagationCdfWritten) {
  const fs::path out = dir_ / "blocks";
  const SimRun r = fabnet_sim(
      {write_scenario(tiny_scenario("", "blocks: {rate: 5, from: 2s}\n")), "--out", out.string()});
  ASSERT_EQ(r.status, kExitOk) << r.err << r.out;
  EXPECT_NE(r.out.find("Blocks per (channel, org)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Block messages per block"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Failover gaps"), std::string::npos) << r.out;
  EXPECT_TRUE(read(out / "propagation-cdf.svg").starts_with("<svg"));
  const nlohmann::json report = nlohmann::json::parse(read(out / "report.json"));
  EXPECT_EQ(report["runs"][0]["blocks"]["groups"].size(), 2u);
  EXPECT_GT(report["runs"][0]["blocks"]["orderer_heights"]["ch"].get<int>(), 50);
}

TEST_F(SimCommandTest, UnknownKeyIsOneLineNamingItAndExitTwo) {
  const SimRun r = fabnet_sim({write_scenario(tiny_scenario("", "colour: blue\n"))});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_TRUE(r.err.starts_with("fabnet sim: ")) << r.err;
  EXPECT_NE(r.err.find("colour"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tiny.yaml"), std::string::npos) << r.err;
}

TEST_F(SimCommandTest, UnknownPeerInAFaultNamesTheFaultAndThePeer) {
  const SimRun r =
      fabnet_sim({write_scenario(tiny_scenario("  - {at: 8s, kind: crash, peer: peer9.org1}\n"))});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("faults[1].peer"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("peer9.org1"), std::string::npos) << r.err;
}

TEST_F(SimCommandTest, NegativeTimeIsRejected) {
  const SimRun r = fabnet_sim({write_scenario(tiny_scenario("  - {at: -5s, kind: restart}\n"))});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("faults[1].at"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("negative"), std::string::npos) << r.err;
}

TEST_F(SimCommandTest, MissingFileIsOneLineAndExitTwo) {
  const std::string path = (dir_ / "absent.yaml").string();
  const SimRun r = fabnet_sim({path});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
}

TEST_F(SimCommandTest, UnwritableOutDirectoryIsExitTwoBeforeRunning) {
  const std::string blocker = write_scenario("not a directory", "blocker");
  const SimRun r =
      fabnet_sim({write_scenario(tiny_scenario()), "--out", blocker + "/out", "--quiet"});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("cannot create directory"), std::string::npos) << r.err;
}

TEST_F(SimCommandTest, ExploreReportsNoViolationAndWritesNothingOnSuccess) {
  const fs::path out = dir_ / "explore";
  const SimRun r = fabnet_sim({"--explore", "2", "--seed", "5", "--out", out.string()});
  ASSERT_EQ(r.status, kExitOk) << r.out << r.err;
  EXPECT_NE(r.out.find("explore: 2 scenarios, no invariant violated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seeds 5 .. 6"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("2/2 scenarios"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out)) << "reproducers only for failures";
}

TEST_F(SimCommandTest, ExploreFailurePrintsEachSeedAndWritesAReproducerThatLoads) {
  sim::ExploreResult result;
  result.runs = 3;
  result.failures.push_back({8,
                             sim::to_yaml(sim::random_scenario(8)),
                             {"t=20s: ch1/Org1MSP: 2 leaders [a, b] among 3 up members"}});
  const fs::path out = dir_ / "repro";
  std::ostringstream text;
  std::ostringstream err;
  EXPECT_EQ(report_explore(result, 7, out.string(), text, err), kExitFailure);
  const std::string printed = text.str();
  EXPECT_NE(printed.find("seed 8: 1 violations"), std::string::npos) << printed;
  EXPECT_NE(printed.find("2 leaders [a, b]"), std::string::npos) << printed;
  EXPECT_NE(printed.find("replay: fabnet sim " + (out / "repro-8.yaml").string()),
            std::string::npos)
      << printed;
  EXPECT_NE(printed.find("explore: 1 of 3 scenarios violated an invariant (seeds 7 .. 9)"),
            std::string::npos)
      << printed;
  EXPECT_TRUE(err.str().empty()) << err.str();

  const std::string yaml = read(out / "repro-8.yaml");
  EXPECT_NE(yaml.find("# violation: t=20s"), std::string::npos) << yaml;
  const sim::Scenario replayed = sim::load_scenario_string(yaml, "repro-8.yaml");
  EXPECT_EQ(replayed.seed, 8u);
  EXPECT_EQ(replayed.name, "explore-8");
}

TEST_F(SimCommandTest, ExploreReproducersThatCannotBeWrittenAreExitTwo) {
  sim::ExploreResult result;
  result.runs = 1;
  result.failures.push_back({1, "name: x\n", {"something"}});
  const std::string blocker = write_scenario("not a directory", "blocker");
  std::ostringstream text;
  std::ostringstream err;
  EXPECT_EQ(report_explore(result, 1, blocker + "/out", text, err), kExitConfig);
  EXPECT_NE(err.str().find("cannot create directory"), std::string::npos) << err.str();
}

TEST_F(SimCommandTest, ExploreExcludesAScenarioAndRuns) {
  EXPECT_NE(fabnet_sim({write_scenario(tiny_scenario()), "--explore", "2"}).status, kExitOk);
  EXPECT_NE(fabnet_sim({"--explore", "2", "--runs", "3"}).status, kExitOk);
  EXPECT_NE(fabnet_sim({"--runs", "0"}).status, kExitOk);
}

TEST_F(SimCommandTest, MembershipIdealOverridesTheScenarioAndIsWrittenForReplay) {
  const fs::path out = dir_ / "out";
  const SimRun r =
      fabnet_sim({write_scenario(tiny_scenario()), "--membership", "ideal", "--out", out.string()});
  ASSERT_EQ(r.status, kExitOk) << r.err << r.out;
  EXPECT_NE(r.out.find("Membership: ideal."), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("alive_msg"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("leadership_msg"), std::string::npos) << r.out;
  EXPECT_NE(read(out / "report.json").find("\"membership\": \"ideal\""), std::string::npos);
  EXPECT_EQ(sim::load_scenario_file((out / "scenario.yaml").string()).membership,
            sim::MembershipModel::kIdeal);

  const SimRun gossip = fabnet_sim({write_scenario(tiny_scenario("", "membership: ideal\n")),
                                    "--membership", "gossip", "--quiet"});
  ASSERT_EQ(gossip.status, kExitOk) << gossip.err;
  const SimRun explore = fabnet_sim({"--explore", "3", "--membership", "ideal", "--quiet"});
  EXPECT_EQ(explore.status, kExitOk) << explore.err << explore.out;
  EXPECT_NE(explore.out.find("explore: 3 scenarios, no invariant violated"), std::string::npos)
      << explore.out;
  const SimRun bad = fabnet_sim({"--membership", "oracle"});
  EXPECT_NE(bad.status, kExitOk);
  EXPECT_NE(bad.err.find("--membership"), std::string::npos) << bad.err;
}

// Every usage error: one line on stderr naming the option, exit 2 — never one of
// CLI11's own codes (104-109).
TEST(SimCommand, EveryUsageErrorIsOneLineAndExitTwo) {
  const std::vector<std::vector<std::string>> cases = {{"--runs", "0"},
                                                       {"--runs", "-3"},
                                                       {"--runs", "lots"},
                                                       {"--seed", "-1"},
                                                       {"--seed", "18446744073709551616"},
                                                       {"--seed", "1e23"},
                                                       {"--seed", "2^64"},
                                                       {"--seed"},
                                                       {"--explore", "0"},
                                                       {"--bogus"},
                                                       {"a.yaml", "b.yaml"},
                                                       {"x.yaml", "--explore", "2"},
                                                       {"--explore", "2", "--runs", "3"},
                                                       {"--membership", "oracle"}};
  for (const auto& args : cases) {
    const SimRun r = fabnet_sim(args);
    std::string shown;
    for (const std::string& a : args) shown += a + " ";
    EXPECT_EQ(r.status, kExitConfig) << shown << r.err;
    EXPECT_EQ(line_count(r.err), 1u) << shown << r.err;
    EXPECT_TRUE(r.err.starts_with("fabnet sim: ")) << shown << r.err;
    EXPECT_TRUE(r.out.empty()) << shown;
  }
  const SimRun runs = fabnet_sim({"--runs", "0"});
  EXPECT_NE(runs.err.find("expected a whole number from 1 to 1000000"), std::string::npos)
      << runs.err;
  EXPECT_EQ(runs.err.find("1797693134862315708"), std::string::npos) << runs.err;
  const SimRun seed = fabnet_sim({"--seed", "-1"});
  EXPECT_NE(seed.err.find("--seed: not an unsigned 64-bit integer: \"-1\""), std::string::npos)
      << seed.err;
}

TEST_F(SimCommandTest, SeedOnTheCommandLineAcceptsTheFullRange) {
  const SimRun r =
      fabnet_sim({write_scenario(tiny_scenario()), "--seed", "18446744073709551615", "--quiet"});
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("seed 18446744073709551615:"), std::string::npos) << r.out;
  EXPECT_EQ(
      fabnet_sim({write_scenario(tiny_scenario()), "--seed", "18446744073709551615", "--runs", "2"})
          .status,
      kExitConfig)
      << "seeds would pass 2^64-1";
}

TEST_F(SimCommandTest, ADirectoryAsTheScenarioIsNamedAsSuch) {
  const SimRun r = fabnet_sim({dir_.string()});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_NE(r.err.find("is a directory; expected a scenario YAML file"), std::string::npos)
      << r.err;
  EXPECT_EQ(line_count(r.err), 1u);
}

TEST_F(SimCommandTest, ANonMappingRootIsCleanAndEchoesNoBinary) {
  const SimRun r = fabnet_sim({write_scenario(std::string("\x01\x02\xfe\xff binary"), "b.yaml")});
  EXPECT_EQ(r.status, kExitConfig);
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("b.yaml: "), std::string::npos) << r.err;
  for (char c : r.err) {
    if (c != '\n') {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte in: " << r.err;
    }
  }
}

TEST_F(SimCommandTest, AnOversizedTopologyIsRefusedBeforeRunningNamingTheLimit) {
  const std::string big = write_scenario(
      "network:\n  orgs: [{name: o, msp_id: OMSP, peers: 100000}]\n"
      "  channels: [{name: ch, orgs: [o]}]\n",
      "big.yaml");
  for (const std::string model : {"gossip", "ideal"}) {
    const SimRun r = fabnet_sim({big, "--membership", model, "--out", (dir_ / "out").string()});
    EXPECT_EQ(r.status, kExitConfig) << r.err;
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("exceeds the limit of 16 GiB"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(model + " membership model"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "out")) << "refused before anything was written";
  }
}

TEST(SimCommand, HelpDescribesEveryOptionWithExamples) {
  const SimRun r = fabnet_sim({"--help"});
  EXPECT_EQ(r.status, kExitOk);
  for (const char* text : {"SCENARIO", "--seed", "--runs", "--out", "--explore", "--membership",
                           "--quiet", "Examples:", "fabnet sim --explore 200", "Exit status"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text;
}

}  // namespace
}  // namespace fabnet::cli
