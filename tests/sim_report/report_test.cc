// The renderers of `fabnet sim` on hand-built results: the text report holds the
// numbers, JSON has every field in seconds and nanoseconds, and the SVGs are
// well-formed documents with one mark per span and per fault.

#include "sim/report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario.h"

namespace fabnet::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Two groups over one minute: Org1MSP fails over from a crash in 11.25 s,
// Org2MSP is cut by a partition and never recovers.
SimResult sample_result() {
  SimResult r;
  r.scenario_name = "sample";
  r.seed = 42;
  r.duration = seconds(60);
  r.peers = 5;

  GroupReport org1;
  org1.channel = "ch";
  org1.org = "Org1MSP";
  org1.peers = {"peer0.org1", "peer1.org1", "peer2.org1"};
  org1.time_to_first_leader = milliseconds(5500);
  org1.changes = {{milliseconds(5500), "peer0.org1", true},
                  {seconds(20), "peer0.org1", false},
                  {milliseconds(31250), "peer1.org1", true}};
  org1.spans = {{"peer0.org1", milliseconds(5500), seconds(20)},
                {"peer1.org1", milliseconds(31250), seconds(60)}};
  org1.failovers = {{seconds(20), "crash", "peer0.org1", milliseconds(31250), "peer1.org1"}};
  org1.time_without_leader = milliseconds(11250);
  org1.leaders_at_end = {"peer1.org1"};

  GroupReport org2;
  org2.channel = "ch";
  org2.org = "Org2MSP";
  org2.peers = {"peer0.org2", "peer1.org2"};
  org2.time_to_first_leader = seconds(6);
  org2.changes = {{seconds(6), "peer0.org2", true}, {seconds(47), "peer1.org2", true}};
  org2.spans = {{"peer0.org2", seconds(6), seconds(60)}, {"peer1.org2", seconds(47), seconds(60)}};
  org2.failovers = {{seconds(40), "partition", "peer0.org2", std::nullopt, ""}};
  org2.time_with_several_leaders = seconds(13);
  org2.leaders_at_end = {"peer0.org2", "peer1.org2"};

  r.groups = {org1, org2};
  r.faults = {{seconds(20), "crash", {"peer0.org1"}, "crash peer0.org1"},
              {seconds(25), "restart", {"peer0.org1"}, "restart peer0.org1"},
              {seconds(40), "partition", {"peer0.org2", "peer1.org2"}, "partition <a> & \"b\""}};
  r.messages.count = {{"alive_msg", 300}, {"leadership_msg", 60}};
  r.messages.bytes = {{"alive_msg", 30000}, {"leadership_msg", 6000}};
  r.messages.lost = 3;
  r.messages.duplicated = 2;
  r.messages.blocked = 7;
  r.messages.unroutable = 1;
  r.events = 12345;
  r.event_log_hash = "deadbeefcafef00d";
  r.violations = {"t=55s: ch/Org2MSP: 2 leaders [peer0.org2, peer1.org2] among 2 up members"};
  r.wall_seconds = 0.5;
  return r;
}

std::string report_text(const SimResult& r, const std::optional<FailoverBound>& bound = {}) {
  std::ostringstream out;
  print_report(out, r, bound);
  return out.str();
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::size_t occurrences(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// Checks that every element closes in order, that attribute quotes pair up and
// that no raw '&' escapes; returns "" or what is wrong.
std::string xml_problem(std::string_view svg) {
  std::vector<std::string> open;
  std::size_t at = 0;
  while ((at = svg.find('<', at)) != std::string_view::npos) {
    const std::size_t end = svg.find('>', at);
    if (end == std::string_view::npos) return "unterminated tag";
    const std::string_view tag = svg.substr(at + 1, end - at - 1);
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0)
      return "unbalanced quotes in <" + std::string(tag) + ">";
    if (tag.starts_with("/")) {
      if (open.empty() || open.back() != tag.substr(1))
        return "unexpected </" + std::string(tag.substr(1)) + ">";
      open.pop_back();
    } else if (!tag.ends_with("/")) {
      open.emplace_back(tag.substr(0, tag.find_first_of(" \n")));
    }
    at = end + 1;
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  for (std::size_t amp = svg.find('&'); amp != std::string_view::npos; amp = svg.find('&', amp + 1))
    if (svg.substr(amp, 4) != "&lt;" && svg.substr(amp, 4) != "&gt;" &&
        svg.substr(amp, 5) != "&amp;" && svg.substr(amp, 6) != "&quot;")
      return "raw & at " + std::to_string(amp);
  return "";
}

TEST(PrintReport, TableHoldsEachGroupsLeadershipNumbers) {
  const std::string text = report_text(sample_result());
  EXPECT_TRUE(contains(text, "Scenario \"sample\", seed 42: 5 peers in 2 (channel, org) groups"))
      << text;
  EXPECT_TRUE(contains(text, "ch/Org1MSP")) << text;
  EXPECT_TRUE(contains(text, "5.5s")) << "time to first leader\n" << text;
  EXPECT_TRUE(contains(text, "11.25s")) << "failover and time without leader\n" << text;
  EXPECT_TRUE(contains(text, "13s")) << "time with several leaders\n" << text;
  EXPECT_TRUE(contains(text, "peer0.org2, peer1.org2")) << "leaders at end\n" << text;
}

TEST(PrintReport, ListsFailoversWithCauseAndUnrecoveredOnes) {
  const std::string text = report_text(sample_result());
  EXPECT_TRUE(contains(text, "crash at 20s")) << text;
  EXPECT_TRUE(contains(text, "partition at 40s")) << text;
  EXPECT_TRUE(contains(text, "not recovered")) << text;
}

TEST(PrintReport, MarksFailoversAgainstTheBoundWhenGiven) {
  const std::string inside = report_text(sample_result(), FailoverBound{seconds(10), seconds(25)});
  EXPECT_TRUE(contains(inside, "within bound")) << inside;
  EXPECT_TRUE(contains(inside, "10s .. 25s")) << inside;
  const std::string outside = report_text(sample_result(), FailoverBound{seconds(1), seconds(5)});
  EXPECT_TRUE(contains(outside, "OUTSIDE bound")) << outside;
  EXPECT_FALSE(contains(report_text(sample_result()), "bound")) << "no bound, no verdict";
}

TEST(PrintReport, ListsLeaderChangesAndTruncatesLongLists) {
  SimResult r = sample_result();
  EXPECT_TRUE(contains(report_text(r), "31.25s +peer1.org1"));
  EXPECT_TRUE(contains(report_text(r), "20s -peer0.org1"));
  r.groups[0].changes.clear();
  for (int i = 0; i < 30; ++i)
    r.groups[0].changes.push_back({seconds(i), "peer0.org1", i % 2 == 0});
  const std::string text = report_text(r);
  EXPECT_TRUE(contains(text, "ch/Org1MSP (30)")) << text;
  EXPECT_TRUE(contains(text, "... and 18 more")) << text;
}

TEST(PrintReport, CapsTheGroupTableForLargeNetworks) {
  SimResult r = sample_result();
  const GroupReport model = r.groups[0];
  r.groups.clear();
  for (int i = 0; i < 120; ++i) {
    r.groups.push_back(model);
    r.groups.back().channel = "ch" + std::to_string(i);
  }
  const std::string text = report_text(r);
  EXPECT_TRUE(contains(text, "... and 70 more groups")) << text;
  EXPECT_FALSE(contains(text, "ch119/")) << text;
}

TEST(PrintReport, MessagesPerTypeWithPerPeerRatesThenCountersHashAndViolations) {
  const std::string text = report_text(sample_result());
  // 300 alive messages from 5 peers over 60 s: 1 per peer per second, 100 B each.
  EXPECT_TRUE(contains(text, "alive_msg")) << text;
  EXPECT_TRUE(contains(text, "1.000")) << text;
  EXPECT_TRUE(contains(text, "29.3 KiB")) << text;
  EXPECT_TRUE(contains(text, "100 B")) << text;
  EXPECT_TRUE(contains(text, "360")) << "total count\n" << text;
  EXPECT_TRUE(contains(text,
                       "lost 3 · duplicated 2 · blocked (partition or peer down) 7 · "
                       "unroutable 1"))
      << text;
  EXPECT_TRUE(contains(text, "Events: 12345")) << text;
  EXPECT_TRUE(contains(text, "Event log hash: deadbeefcafef00d")) << text;
  EXPECT_TRUE(contains(text, "Violations (1):")) << text;
  EXPECT_TRUE(contains(text, "2 leaders [peer0.org2, peer1.org2]")) << text;
}

TEST(PrintRunSummary, OneLineWithTheLongestFailoverAndHash) {
  std::ostringstream out;
  print_run_summary(out, sample_result());
  const std::string line = out.str();
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  EXPECT_TRUE(contains(line, "seed 42: 2 failovers (longest 11.25s, 1 not recovered)")) << line;
  EXPECT_TRUE(contains(line, "1 violations")) << line;
  EXPECT_TRUE(contains(line, "hash deadbeefcafef00d")) << line;
}

TEST(FailoverStats, NearestRankPercentilesPerCauseThenAll) {
  SimResult r;
  GroupReport g;
  for (int s = 1; s <= 10; ++s)
    g.failovers.push_back({seconds(100), "crash", "a", seconds(100 + s), "b"});
  g.failovers.push_back({seconds(100), "pause", "a", std::nullopt, ""});
  r.groups = {g};
  const std::vector<FailoverStats> stats = failover_stats({r});
  ASSERT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats[0].cause, "crash");
  EXPECT_EQ(stats[0].count, 10u);
  EXPECT_EQ(stats[0].min, seconds(1));
  EXPECT_EQ(stats[0].median, seconds(5));
  EXPECT_EQ(stats[0].p90, seconds(9));
  EXPECT_EQ(stats[0].max, seconds(10));
  EXPECT_EQ(stats[1].cause, "pause");
  EXPECT_EQ(stats[1].not_recovered, 1u);
  EXPECT_FALSE(stats[1].median.has_value());
  EXPECT_EQ(stats[2].cause, "all");
  EXPECT_EQ(stats[2].count, 11u);
  EXPECT_EQ(stats[2].not_recovered, 1u);
  EXPECT_EQ(stats[2].max, seconds(10));
}

TEST(FailoverStats, AllIsPresentWithoutFailovers) {
  const std::vector<FailoverStats> stats = failover_stats({SimResult{}});
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].cause, "all");
  EXPECT_EQ(stats[0].count, 0u);
}

TEST(PrintFailoverSummary, TableOverRunsAndCountOutsideTheBound) {
  std::ostringstream out;
  print_failover_summary(out, {sample_result(), sample_result()},
                         FailoverBound{seconds(10), seconds(11)});
  const std::string text = out.str();
  EXPECT_TRUE(contains(text, "Failovers over 2 runs")) << text;
  EXPECT_TRUE(contains(text, "MEDIAN")) << text;
  EXPECT_TRUE(contains(text, "P90")) << text;
  EXPECT_TRUE(contains(text, "2 of 2 recovered failovers outside it")) << text;
}

TEST(FailoverBound, ElectionSection5WidenedByTheMessageDelay) {
  Scenario s;  // Fabric's defaults: LAT 10s, LED 5s; link 5ms + 5ms jitter
  s.settings.gossip.election.leader_alive_threshold = seconds(10);
  s.settings.gossip.election.leader_election_duration = seconds(5);
  const FailoverBound b = failover_bound(s);
  EXPECT_EQ(b.low, seconds(10) - milliseconds(5));
  EXPECT_EQ(b.high, seconds(25) + milliseconds(10));

  Fault slow;
  slow.kind = FaultKind::kSkew;
  slow.rate = 0.5;
  s.faults.push_back(slow);
  EXPECT_EQ(failover_bound(s).high, seconds(50) + milliseconds(10)) << "half-speed clock";
}

TEST(FormatReportDuration, GoSyntaxRoundedToTheMillisecond) {
  EXPECT_EQ(format_report_duration(Duration::zero()), "0s");
  EXPECT_EQ(format_report_duration(std::chrono::microseconds(11'250'400)), "11.25s");
  EXPECT_EQ(format_report_duration(seconds(90)), "1m30s");
  EXPECT_EQ(format_report_duration(std::chrono::microseconds(250)), "250µs");
}

TEST(ToJson, DurationsInSecondsAndNanoseconds) {
  const nlohmann::json j = to_json(sample_result());
  EXPECT_EQ(j["scenario"], "sample");
  EXPECT_EQ(j["seed"], 42);
  EXPECT_EQ(j["peers"], 5);
  EXPECT_EQ(j["duration_ns"], 60'000'000'000LL);
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 60.0);
  EXPECT_EQ(j["events"], 12345);
  EXPECT_EQ(j["event_log_hash"], "deadbeefcafef00d");

  const nlohmann::json& org1 = j["groups"][0];
  EXPECT_EQ(org1["channel"], "ch");
  EXPECT_EQ(org1["org"], "Org1MSP");
  EXPECT_EQ(org1["peers"].size(), 3u);
  EXPECT_DOUBLE_EQ(org1["time_to_first_leader_s"].get<double>(), 5.5);
  EXPECT_EQ(org1["time_to_first_leader_ns"], 5'500'000'000LL);
  EXPECT_EQ(org1["changes"].size(), 3u);
  EXPECT_EQ(org1["changes"][1]["is_leader"], false);
  EXPECT_EQ(org1["spans"][1]["peer"], "peer1.org1");
  EXPECT_DOUBLE_EQ(org1["spans"][1]["from_s"].get<double>(), 31.25);
  const nlohmann::json& crash = org1["failovers"][0];
  EXPECT_EQ(crash["cause"], "crash");
  EXPECT_EQ(crash["old_leader"], "peer0.org1");
  EXPECT_EQ(crash["new_leader"], "peer1.org1");
  EXPECT_EQ(crash["recovered"], true);
  EXPECT_DOUBLE_EQ(crash["duration_s"].get<double>(), 11.25);
  EXPECT_EQ(crash["duration_ns"], 11'250'000'000LL);
  EXPECT_EQ(crash["fault_at_ns"], 20'000'000'000LL);
  EXPECT_DOUBLE_EQ(org1["time_without_leader_s"].get<double>(), 11.25);
  EXPECT_EQ(org1["time_with_several_leaders_ns"], 0);
  EXPECT_EQ(org1["leaders_at_end"], nlohmann::json({"peer1.org1"}));

  const nlohmann::json& cut = j["groups"][1]["failovers"][0];
  EXPECT_EQ(cut["recovered"], false);
  EXPECT_TRUE(cut["duration_s"].is_null());
  EXPECT_TRUE(cut["recovered_at_ns"].is_null());
  EXPECT_TRUE(cut["new_leader"].is_null());
}

TEST(ToJson, FaultsMessagesAndViolations) {
  const nlohmann::json j = to_json(sample_result());
  ASSERT_EQ(j["faults"].size(), 3u);
  EXPECT_EQ(j["faults"][0]["kind"], "crash");
  EXPECT_EQ(j["faults"][0]["peers"], nlohmann::json({"peer0.org1"}));
  EXPECT_DOUBLE_EQ(j["faults"][2]["at_s"].get<double>(), 40.0);
  const nlohmann::json& m = j["messages"];
  EXPECT_EQ(m["by_type"]["alive_msg"]["count"], 300);
  EXPECT_EQ(m["by_type"]["alive_msg"]["bytes"], 30000);
  EXPECT_DOUBLE_EQ(m["by_type"]["alive_msg"]["per_peer_per_second"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(m["by_type"]["leadership_msg"]["bytes_per_peer_per_second"].get<double>(), 20.0);
  EXPECT_EQ(m["total_count"], 360);
  EXPECT_EQ(m["total_bytes"], 36000);
  EXPECT_EQ(m["lost"], 3);
  EXPECT_EQ(m["duplicated"], 2);
  EXPECT_EQ(m["blocked"], 7);
  EXPECT_EQ(m["unroutable"], 1);
  EXPECT_EQ(j["violations"].size(), 1u);
}

TEST(ToJson, FailoverStatsAndBound) {
  const nlohmann::json stats = to_json(failover_stats({sample_result()}).back());
  EXPECT_EQ(stats["cause"], "all");
  EXPECT_EQ(stats["count"], 2);
  EXPECT_EQ(stats["not_recovered"], 1);
  EXPECT_DOUBLE_EQ(stats["median_s"].get<double>(), 11.25);
  const nlohmann::json bound = to_json(FailoverBound{seconds(10), seconds(25)});
  EXPECT_EQ(bound["low_ns"], 10'000'000'000LL);
  EXPECT_DOUBLE_EQ(bound["high_s"].get<double>(), 25.0);
}

TEST(TimelineSvg, StandaloneWellFormedDocument) {
  const std::string svg = render_timeline_svg(sample_result());
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"")) << svg.substr(0, 80);
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  EXPECT_EQ(xml_problem(svg), "");
}

TEST(TimelineSvg, OneBarPerLeaderSpanAndOneMarkerPerFault) {
  const SimResult r = sample_result();
  const std::string svg = render_timeline_svg(r);
  EXPECT_EQ(occurrences(svg, "class=\"span\""), 4u);
  EXPECT_EQ(occurrences(svg, "<g class=\"fault\""), r.faults.size());
  EXPECT_TRUE(contains(svg, "data-kind=\"partition\""));
  EXPECT_TRUE(contains(svg, "partition &lt;a&gt; &amp; &quot;b&quot;")) << "escaped label";
  EXPECT_EQ(occurrences(svg, "<g class=\"group\""), 2u);
  for (const char* peer : {"peer0.org1", "peer2.org1", "peer1.org2"})
    EXPECT_TRUE(contains(svg, std::string(">") + peer + "<")) << "lane of " << peer;
}

TEST(TimelineSvg, ShadesCrashedPeersGapsAndSeveralLeaders) {
  const std::string svg = render_timeline_svg(sample_result());
  EXPECT_EQ(occurrences(svg, "class=\"crashed\""), 1u) << "peer0.org1 from 20s to its restart";
  EXPECT_TRUE(contains(svg, "peer0.org1 crashed from 20s to 25s"));
  EXPECT_EQ(occurrences(svg, "class=\"no-leader\""), 1u) << "Org1MSP from 20s to 31.25s";
  EXPECT_EQ(occurrences(svg, "class=\"several-leaders\""), 1u) << "Org2MSP from 47s";
}

TEST(TimelineSvg, AxisTicksAndLegend) {
  const std::string svg = render_timeline_svg(sample_result());
  for (const char* tick : {">0<", ">10s<", ">30s<", ">1m<"})
    EXPECT_TRUE(contains(svg, tick)) << tick;
  EXPECT_TRUE(contains(svg, "virtual time"));
  EXPECT_TRUE(contains(svg, "believes it leads"));
  EXPECT_TRUE(contains(svg, "group without a leader"));
}

TEST(TimelineSvg, CapsGroupsAndPeersAndSaysSoKeepingFailoversFirst) {
  SimResult r = sample_result();
  GroupReport quiet = r.groups[1];
  quiet.failovers.clear();
  quiet.time_with_several_leaders = Duration::zero();
  quiet.spans = {{"peer0.org2", seconds(6), seconds(60)}};
  quiet.peers.clear();
  for (int p = 0; p < 500; ++p) quiet.peers.push_back("peer" + std::to_string(p) + ".org2");
  std::vector<GroupReport> groups;
  for (int i = 0; i < 100; ++i) {
    groups.push_back(quiet);
    groups.back().channel = "ch" + std::to_string(i);
  }
  groups[77] = r.groups[0];  // the only failover, far down the list
  groups[77].channel = "ch77";
  r.groups = groups;

  TimelineOptions options;
  options.max_groups = 5;
  options.max_peers_per_group = 10;
  const std::string svg = render_timeline_svg(r, options);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(occurrences(svg, "<g class=\"group\""), 5u);
  EXPECT_TRUE(contains(svg, "showing 5 of 100 groups")) << "says what it left out";
  EXPECT_TRUE(contains(svg, "ch77/Org1MSP")) << "the group with a failover is kept";
  EXPECT_TRUE(contains(svg, "490 not shown")) << "peers capped per group";
  EXPECT_LT(svg.size(), 200'000u);
}

TEST(FailoverCdfSvg, WellFormedWithOneCurvePerCauseAndTheBound) {
  const std::string svg = render_failover_cdf_svg({sample_result(), sample_result()},
                                                  FailoverBound{seconds(10), seconds(25)});
  EXPECT_TRUE(svg.starts_with("<svg "));
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_TRUE(contains(svg, "4 failovers over 2 runs")) << svg;
  EXPECT_TRUE(contains(svg, "2 not recovered")) << svg;
  EXPECT_TRUE(contains(svg, "data-cause=\"all\""));
  EXPECT_TRUE(contains(svg, "data-cause=\"crash\""));
  EXPECT_TRUE(contains(svg, "data-cause=\"partition\""));
  EXPECT_TRUE(contains(svg, "class=\"bound\""));
  EXPECT_TRUE(contains(svg, "§5 bound 10s .. 25s"));
  EXPECT_TRUE(contains(svg, "failover time"));
}

TEST(FailoverCdfSvg, SaysSoWhenThereAreNoFailovers) {
  SimResult r = sample_result();
  for (GroupReport& g : r.groups) g.failovers.clear();
  const std::string svg = render_failover_cdf_svg({r});
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_TRUE(contains(svg, "no failovers"));
  EXPECT_FALSE(contains(svg, "class=\"cdf\""));
  EXPECT_FALSE(contains(svg, "class=\"bound\""));
}

}  // namespace
}  // namespace fabnet::sim

namespace fabnet::sim {
namespace {

// A group whose leader kept its followers through a (deaf-leader) partition.
SimResult no_change_result() {
  SimResult r = sample_result();
  GroupReport& g = r.groups[0];
  g.failovers = {FailoverRecord{seconds(20), "partition", "peer0.org1", std::nullopt, "peer0.org1",
                                /*leader_kept=*/true}};
  return r;
}

TEST(PrintReport, ALeaderKeptThroughAFaultIsNoChangeNotAFailover) {
  const SimResult r = no_change_result();
  const std::string text = report_text(r, FailoverBound{seconds(10), seconds(25)});
  EXPECT_NE(text.find("no change"), std::string::npos) << text;
  EXPECT_EQ(text.find("OUTSIDE bound"), std::string::npos) << text;
  const std::size_t kept = text.find("ch/Org1MSP  partition");
  ASSERT_NE(kept, std::string::npos) << text;
  const std::string kept_line = text.substr(kept, text.find('\n', kept) - kept);
  EXPECT_NE(kept_line.find("no change"), std::string::npos) << kept_line;
  EXPECT_EQ(kept_line.find("not recovered"), std::string::npos) << kept_line;
  // The FAILOVERS column of the leadership table counts real failovers only.
  const std::size_t row = text.find("ch/Org1MSP");
  ASSERT_NE(row, std::string::npos);
  const std::string line = text.substr(row, text.find('\n', row) - row);
  EXPECT_NE(line.find(" 3          0 "), std::string::npos) << line;
  EXPECT_EQ(failover_count(r.groups[0]), 0u);
  EXPECT_EQ(failover_stats({r}).back().count, 1u) << "only Org2MSP's partition";
  std::ostringstream summary;
  print_run_summary(summary, r);
  EXPECT_NE(summary.str().find(": 1 failovers"), std::string::npos) << summary.str();
  EXPECT_EQ(to_json(r)["groups"][0]["failovers"][0]["leader_kept"], true);
}

TEST(PrintReport, TheHeaderDefinesTheEndAndNewLeadersListsEveryLeaderThen) {
  SimResult r = sample_result();
  r.groups[1].failovers[0].recovered_at = seconds(52);
  r.groups[1].failovers[0].new_leader = "peer0.org2,peer1.org2";
  const std::string text = report_text(r);
  EXPECT_NE(text.find("until every up member of the group hears exactly one leader"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("NEW LEADERS"), std::string::npos) << text;
  EXPECT_NE(text.find("peer0.org2,peer1.org2"), std::string::npos) << text;
}

// The one §5 formula: LAT/2 + LED .. 2·LAT + LED, minus / plus the delays and
// scaled by the clock rates, computed here by hand.
TEST(FailoverBound, TheGeneralFormulaByHand) {
  election::ElectionTimings t;
  t.leader_alive_threshold = seconds(10);
  t.leader_election_duration = seconds(5);
  const FailoverBound b = failover_bound(t, milliseconds(5), milliseconds(10));
  EXPECT_EQ(b.low, milliseconds(10'000 - 5));
  EXPECT_EQ(b.high, milliseconds(25'000 + 10));
  const FailoverBound skewed = failover_bound(t, Duration::zero(), Duration::zero(), 2.0, 0.5);
  EXPECT_EQ(skewed.low, milliseconds(5'000));
  EXPECT_EQ(skewed.high, milliseconds(50'000));
  EXPECT_TRUE(within(b, seconds(20)));
  EXPECT_FALSE(within(b, seconds(26)));
}

}  // namespace
}  // namespace fabnet::sim
