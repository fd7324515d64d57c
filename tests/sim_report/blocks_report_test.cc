// The block parts of the `fabnet sim` renderers (issue 10 §2) on a hand-built
// result: the text tables, the JSON fields, the lane lines of the timeline and
// the propagation CDF.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <sstream>
#include <string>

#include "sim/report.h"

namespace fabnet::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

SimResult with_blocks() {
  SimResult r;
  r.scenario_name = "blocks";
  r.seed = 7;
  r.duration = seconds(10);
  r.peers = 2;
  GroupReport g;
  g.channel = "ch";
  g.org = "Org1MSP";
  g.peers = {"peer0.org1", "peer1.org1"};
  r.groups = {g};
  BlockGroupReport b;
  b.channel = "ch";
  b.org = "Org1MSP";
  b.blocks_cut = 4;
  b.blocks_complete = 3;
  b.propagation = {milliseconds(20), milliseconds(40), std::nullopt, milliseconds(30)};
  b.propagation_p50 = milliseconds(30);
  b.propagation_p99 = milliseconds(40);
  b.propagation_max = milliseconds(40);
  b.gaps = {BlockGap{seconds(3), seconds(5), 2, 3, seconds(6)}};
  b.traffic = {{"push", {12, 12000}}, {"state_transfer", {2, 3000}}};
  b.sample_interval = seconds(1);
  b.peers = {{"peer0.org1", 4, 1, {0, 1, 0}, {1, 2, 4}},
             {"peer1.org1", 3, 3, {0, -1, 3}, {1, 1, 1}}};
  r.blocks = {b};
  r.orderer_heights = {{"ch", 4}};
  r.chain_checked = true;
  r.chain_check_exact = true;
  return r;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(BlocksReport, TextHasPropagationTrafficGapsAndTheChainCheck) {
  std::ostringstream out;
  print_report(out, with_blocks());
  const std::string text = out.str();
  EXPECT_TRUE(contains(text, "Blocks per (channel, org)"));
  EXPECT_TRUE(contains(text, "ch/Org1MSP")) << text;
  EXPECT_TRUE(contains(text, "30ms")) << text;        // p50
  EXPECT_TRUE(contains(text, "3.0 (1.50)")) << text;  // push: 12 messages / 4 blocks / 2 peers
  EXPECT_TRUE(contains(text, "state_transfer")) << text;
  EXPECT_TRUE(contains(text, "Failover gaps")) << text;
  EXPECT_TRUE(contains(text, "every up peer holds exactly the orderer's chain")) << text;
}

TEST(BlocksReport, NoBlockSectionWithoutBlocks) {
  SimResult r = with_blocks();
  r.blocks.clear();
  std::ostringstream out;
  print_report(out, r);
  EXPECT_FALSE(contains(out.str(), "Blocks per"));
  EXPECT_FALSE(to_json(r).contains("blocks"));
}

TEST(BlocksReport, JsonCarriesEveryBlockField) {
  const nlohmann::json j = to_json(with_blocks())["blocks"];
  EXPECT_EQ(j["orderer_heights"]["ch"], 4);
  EXPECT_EQ(j["chain_checked"], true);
  const nlohmann::json& g = j["groups"][0];
  EXPECT_EQ(g["blocks_cut"], 4);
  EXPECT_EQ(g["propagation_p99_ns"], 40'000'000);
  EXPECT_TRUE(g["propagation_ns"][2].is_null());
  EXPECT_EQ(g["gaps"][0]["blocks_cut"], 2);
  EXPECT_DOUBLE_EQ(g["gaps"][0]["caught_up_after_s"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(g["traffic"]["push"]["messages_per_block_per_peer"].get<double>(), 1.5);
  EXPECT_EQ(g["peers"][1]["behind"][1], -1);
}

TEST(BlocksReport, TimelineDrawsBlocksBehindInEachLane) {
  const std::string svg = render_timeline_svg(with_blocks());
  EXPECT_EQ(svg.find("class=\"behind\"") != std::string::npos, true);
  std::size_t lines = 0;
  for (auto at = svg.find("class=\"behind\""); at != std::string::npos;
       at = svg.find("class=\"behind\"", at + 1))
    ++lines;
  EXPECT_EQ(lines, 2u);
  EXPECT_TRUE(contains(svg, "blocks behind the orderer"));
}

TEST(BlocksReport, PropagationCdfOneCurvePerGroup) {
  const std::string svg = render_propagation_cdf_svg({with_blocks()});
  EXPECT_TRUE(contains(svg, "<svg"));
  EXPECT_TRUE(contains(svg, "data-group=\"ch/Org1MSP\""));
  EXPECT_TRUE(contains(svg, "ch/Org1MSP (3 of 4)"));
  const std::string empty = render_propagation_cdf_svg({});
  EXPECT_TRUE(contains(empty, "no blocks in these runs"));
}

}  // namespace
}  // namespace fabnet::sim
