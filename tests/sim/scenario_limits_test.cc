// What `fabnet sim` refuses before building anything: topologies over the
// limits, a directory, a non-mapping root, seeds outside 0 .. 2^64-1.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sim/scenario.h"

namespace fabnet::sim {
namespace {

std::string error_of(const std::function<void()>& load) {
  try {
    load();
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "no error";
}

std::string network(int orgs, int peers, std::string_view top = "") {
  std::string yaml = std::string(top) + "network:\n  orgs:\n";
  std::string names;
  for (int o = 0; o < orgs; ++o) {
    yaml += "    - {name: o" + std::to_string(o) + ", msp_id: O" + std::to_string(o) +
            "MSP, peers: " + std::to_string(peers) + "}\n";
    names += (o > 0 ? ", o" : "o") + std::to_string(o);
  }
  return yaml + "  channels:\n    - {name: ch, orgs: [" + names + "]}\n";
}

TEST(ScenarioLimitsTest, TooManyPeersInAllIsRefusedAtLoadNamingTheLimit) {
  const std::string what = error_of([] { load_scenario_string(network(100, 100000), "big.yaml"); });
  EXPECT_NE(what.find("big.yaml:2: network.orgs: 10000000 peers"), std::string::npos) << what;
  EXPECT_NE(what.find("limit of 200000"), std::string::npos) << what;
}

TEST(ScenarioLimitsTest, TooManyMembershipsIsRefused) {
  std::string yaml = "network:\n  orgs: [{name: o, msp_id: OMSP, peers: 100000}]\n  channels:\n";
  for (int c = 0; c < 21; ++c) yaml += "    - {name: c" + std::to_string(c) + ", orgs: [o]}\n";
  const std::string what = error_of([&] { load_scenario_string(yaml, "wide.yaml"); });
  EXPECT_NE(what.find("2100000 (peer, channel) memberships exceed the limit of 2000000"),
            std::string::npos)
      << what;
}

TEST(ScenarioLimitsTest, MemoryEstimateDependsOnTheMembershipModel) {
  Scenario s = load_scenario_string(network(1, 100000), "one.yaml");
  std::string what = error_of([&] { check_topology(s, "one.yaml"); });
  EXPECT_NE(what.find("in the gossip membership model exceeds the limit of 16 GiB"),
            std::string::npos)
      << what;
  EXPECT_NE(what.find("largest (channel, org) group 100000"), std::string::npos) << what;
  s.membership = MembershipModel::kIdeal;
  what = error_of([&] { check_topology(s, "one.yaml"); });
  EXPECT_NE(what.find("in the ideal membership model"), std::string::npos) << what;

  // The 10,000-peer group of bench/README.md fits the ideal model, not gossip.
  Scenario ten = load_scenario_string(network(1, 10000), "ten.yaml");
  EXPECT_NE(error_of([&] { check_topology(ten); }), "no error");
  ten.membership = MembershipModel::kIdeal;
  EXPECT_EQ(error_of([&] { check_topology(ten); }), "no error");
  const TopologySize size = measure_topology(ten);
  EXPECT_EQ(size.peers, 10000u);
  EXPECT_EQ(size.memberships, 10000u);
  EXPECT_EQ(size.largest_group, 10000u);
}

TEST(ScenarioLimitsTest, MembershipsCountExplicitJoins) {
  const Scenario s = load_scenario_string(
      "network:\n  orgs: [{name: o, msp_id: OMSP, peers: 4}]\n"
      "  channels: [{name: a, orgs: [o]}, {name: b, orgs: [o]}]\n"
      "  joins: {peer0.o: [a], peer1.o: []}\n",
      "joins.yaml");
  const TopologySize size = measure_topology(s);
  EXPECT_EQ(size.peers, 4u);
  EXPECT_EQ(size.memberships, 1u + 0u + 2u + 2u);
  EXPECT_EQ(size.largest_group, 3u);
}

TEST(ScenarioLimitsTest, ADirectoryIsNamedAsSuch) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("fabnet-scenario-dir-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string what = error_of([&] { load_scenario_file(dir.string()); });
  std::filesystem::remove_all(dir);
  EXPECT_NE(what.find(": is a directory; expected a scenario YAML file"), std::string::npos)
      << what;
  EXPECT_EQ(what.find("empty scenario"), std::string::npos) << what;
}

TEST(ScenarioLimitsTest, ANonMappingRootIsOneCleanLineWithoutTheFilesBytes) {
  for (const std::string& text :
       {std::string("just text\n"), std::string("- a\n- b\n"), std::string("\x01\x02\xff")}) {
    const std::string what = error_of([&] { load_scenario_string(text, "odd.yaml"); });
    SCOPED_TRACE(what);
    EXPECT_TRUE(what.starts_with("odd.yaml: ")) << "file name separated from the message";
    EXPECT_EQ(what.find('\n'), std::string::npos);
    for (char c : what) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte echoed";
  }
  EXPECT_NE(
      error_of([] { load_scenario_string("- a\n", "l.yaml"); }).find("the top level is a list"),
      std::string::npos);
}

TEST(ScenarioLimitsTest, SeedsAreDigitsUpTo2To64Minus1InTheFileAsOnTheCommandLine) {
  EXPECT_EQ(parse_seed("0"), 0u);
  EXPECT_EQ(parse_seed("18446744073709551615"), UINT64_MAX);
  for (const char* bad :
       {"-1", "18446744073709551616", "1e23", "2^64", "+5", " 5", "5 ", "0x10", "1.0", ""}) {
    EXPECT_FALSE(parse_seed(bad).has_value()) << bad;
    const std::string what = error_of(
        [&] { load_scenario_string(network(1, 1, "seed: \"" + std::string(bad) + "\"\n"), "s"); });
    EXPECT_NE(what.find("seed"), std::string::npos) << bad << ": " << what;
  }
  EXPECT_EQ(load_scenario_string(network(1, 1, "seed: 18446744073709551615\n"), "s").seed,
            UINT64_MAX);
}

}  // namespace
}  // namespace fabnet::sim
