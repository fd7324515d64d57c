#include "cli/demo.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "config/duration.h"
#include "runtime/virtual_scheduler.h"
#include "sim/election_cluster.h"
#include "sim/failover_analysis.h"

namespace fabnet::cli {

using election::ElectionEvent;

std::string format_seconds(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return fmt::format("{}{}.{:03}s", ms < 0 ? "-" : "", std::abs(ms) / 1000, std::abs(ms) % 1000);
}

namespace {

constexpr std::string_view kChannel = "mychannel";
constexpr int kPeersPerOrg = 4;

struct Style {
  std::string_view reset, dim, bold, green, red, yellow;
  static Style make(bool color) {
    if (!color) return {};
    return {"\033[0m", "\033[2m", "\033[1m", "\033[32m", "\033[31m", "\033[33m"};
  }
};

std::string declarations(std::uint64_t n) {
  return fmt::format("{} declaration{}", n, n == 1 ? "" : "s");
}

// One leadership tenure of a peer, so repeated declarations can be counted, not printed.
struct Tenure {
  TimePoint since{};
  std::uint64_t declarations = 0;
};

struct Org {
  std::string msp;     // "Org1MSP"
  std::string domain;  // "org1", the suffix of its peers' names
  std::unique_ptr<sim::ElectionCluster> cluster;
  std::map<PeerId, Tenure> tenures;  // peers currently leading
  std::optional<TimePoint> first_start;
  std::optional<TimePoint> first_leader_at;
  std::optional<PeerId> crashed_peer;
  std::optional<TimePoint> crashed_at;
  std::optional<TimePoint> failover_at;
  std::optional<PeerId> new_leader;
};

class Demo {
 public:
  Demo(const DemoOptions& options, std::ostream& out)
      : options_(options), out_(out), style_(Style::make(options.color)) {
    const auto& t = options_.timings;
    delay_ = sim::ClusterOptions{}.message_delay;
    // The one §5 formula, shared with the simulator's report.
    const sim::FailoverBound bound = sim::failover_bound(t, delay_, delay_);
    bound_min_ = bound.low;
    bound_max_ = bound.high;
    for (int o = 1; o <= 2; ++o) {
      sim::ClusterOptions co;
      co.channel = std::string(kChannel);
      co.org = fmt::format("Org{}MSP", o);
      co.timings = t;
      co.seed = options_.seed + static_cast<std::uint64_t>(o);
      Org org;
      org.msp = co.org;
      org.domain = fmt::format("org{}", o);
      org.cluster = std::make_unique<sim::ElectionCluster>(scheduler_, co);
      orgs_.push_back(std::move(org));
    }
  }

  DemoResult run();

 private:
  void print_header();
  void schedule_starts();
  void line(const Org& org, std::string_view peer, std::string_view color, std::string_view text);
  void on_event(Org& org, const PeerId& peer, ElectionEvent event);
  void after_event();
  void crash_leader_of_first_org();
  void print_summary(const DemoResult& result);
  bool crash_done() const { return orgs_[0].crashed_at.has_value(); }
  bool failover_done() const { return orgs_[0].failover_at.has_value(); }

  const DemoOptions& options_;
  std::ostream& out_;
  Style style_;
  runtime::VirtualScheduler scheduler_;
  std::vector<Org> orgs_;
  Duration delay_{};
  Duration bound_min_{};
  Duration bound_max_{};
  bool crash_scheduled_ = false;
  bool crash_pending_ = false;  // asked to crash while Org1 had no single leader
  bool crashing_ = false;       // silences the kStopped event the crash itself causes
  std::uint64_t suppressed_ = 0;
  std::set<std::string> violations_;
};

void Demo::print_header() {
  const auto& t = options_.timings;
  using config::format_duration;
  fmt::print(out_,
             "{}fabnet demo{}: channel {}, orgs Org1MSP and Org2MSP with {} peers each, "
             "virtual time, seed {}\n",
             style_.bold, style_.reset, kChannel, kPeersPerOrg, options_.seed);
  fmt::print(out_,
             "timings ({}): startupGracePeriod {}, membershipSampleInterval {}, "
             "leaderAliveThreshold {}, leaderElectionDuration {}\n",
             options_.timings_source, format_duration(t.startup_grace_period),
             format_duration(t.membership_sample_interval),
             format_duration(t.leader_alive_threshold),
             format_duration(t.leader_election_duration));
  for (const std::string& note : options_.notes) fmt::print(out_, "note: {}\n", note);
  fmt::print(
      out_,
      "Peers start at random offsets within leaderAliveThreshold. Lower IDs are better "
      "candidates\n(peer0 < peer1 < ...), but a peer that declares first keeps leading. "
      "Leaders re-declare every {};\nonly the first declaration of each tenure is shown.\n\n",
      format_duration(t.leader_alive_threshold / 2));
  fmt::print(out_, "{}{:>9}  {:<10} {:<8} {:<11} {}{}\n", style_.dim, "time", "channel", "org",
             "peer", "event", style_.reset);
}

void Demo::line(const Org& org, std::string_view peer, std::string_view color,
                std::string_view text) {
  fmt::print(out_, "{:>9}  {:<10} {:<8} {:<11} {}{}{}\n", format_seconds(scheduler_.now()),
             kChannel, org.msp, peer, color, text, style_.reset);
}

// Offsets come straight from mt19937_64, whose output the standard fixes, so a
// seed replays identically with any standard library.
void Demo::schedule_starts() {
  std::mt19937_64 random(options_.seed);
  const auto span_ms = std::max<std::int64_t>(
      1,
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.timings.leader_alive_threshold)
          .count());
  for (Org& org : orgs_) {
    org.cluster->set_observer(
        [this, &org](TimePoint, const PeerId& peer, ElectionEvent e) { on_event(org, peer, e); });
    for (int i = 0; i < kPeersPerOrg; ++i) {
      // "peer<i>.org<n>": one digit each, so bytewise order is the obvious one.
      const PeerId id = fmt::format("peer{}.{}", i, org.domain);
      org.cluster->add_peer(id);
      const auto offset = std::chrono::milliseconds(
          static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(span_ms)));
      scheduler_.schedule(offset, [this, &org, id] {
        if (!org.first_start) org.first_start = scheduler_.now();
        line(org, id, "", "started");
        org.cluster->start(id);
      });
    }
  }
}

void Demo::on_event(Org& org, const PeerId& peer, ElectionEvent event) {
  switch (event) {
    case ElectionEvent::kProposalSent:
      line(org, peer, style_.dim, "proposal");
      return;
    case ElectionEvent::kDeclarationSent: {
      Tenure& tenure = org.tenures[peer];
      if (tenure.declarations++ == 0)
        line(org, peer, "", "declaration (first of this tenure)");
      else
        ++suppressed_;
      return;
    }
    case ElectionEvent::kBecameLeader:
      org.tenures[peer] = Tenure{scheduler_.now(), 0};
      line(org, peer, style_.green, "became leader");
      return;
    case ElectionEvent::kSteppedDown:
    case ElectionEvent::kYielded: {
      const Tenure tenure = org.tenures[peer];
      org.tenures.erase(peer);
      line(org, peer, style_.yellow,
           fmt::format("{} (led {}, {})",
                       event == ElectionEvent::kSteppedDown ? "stepped down: a lower ID declared"
                                                            : "yielded",
                       format_seconds(scheduler_.now() - tenure.since),
                       declarations(tenure.declarations)));
      return;
    }
    case ElectionEvent::kYieldEnded:
      line(org, peer, style_.dim, "yield ended");
      return;
    case ElectionEvent::kStartupDone:
      // Reported before the main loop runs, so leader_exists tells what comes next.
      line(org, peer, style_.dim,
           org.cluster->election(peer).leader_exists() ? "start-up done; a leader declared: follows"
                                                       : "start-up done; no leader seen");
      return;
    case ElectionEvent::kStopped:
      if (!crashing_) line(org, peer, "", "stopped");
      return;
  }
}

// Milestones and the default crash are decided here, after each event, from the
// clusters' state rather than from individual callbacks.
void Demo::after_event() {
  for (Org& org : orgs_) {
    for (std::string& v : org.cluster->check_invariants()) violations_.insert(std::move(v));
    const auto leaders = org.cluster->leaders();
    if (leaders.size() != 1) continue;
    if (!org.first_leader_at) {
      org.first_leader_at = scheduler_.now();
      line(org, "*", style_.bold,
           fmt::format("single leader {}, {} after the org's first start", leaders[0],
                       format_seconds(scheduler_.now() - *org.first_start)));
    }
    if (org.crashed_at && !org.failover_at) {
      org.failover_at = scheduler_.now();
      org.new_leader = leaders[0];
      const Duration took = scheduler_.now() - *org.crashed_at;
      const bool ok = took >= bound_min_ && took <= bound_max_;
      line(org, "*", ok ? style_.bold : style_.red,
           fmt::format("failover done: {} leads, {} after the crash ({} the §5 bound)", leaders[0],
                       format_seconds(took), ok ? "within" : "OUTSIDE"));
    }
  }
  if (!options_.crash_at && !crash_scheduled_ && orgs_[0].first_leader_at &&
      orgs_[1].first_leader_at) {
    crash_scheduled_ = true;
    scheduler_.schedule(options_.timings.leader_alive_threshold,
                        [this] { crash_leader_of_first_org(); });
  }
  if (crash_pending_ && orgs_[0].cluster->leaders().size() == 1) {
    crash_pending_ = false;
    scheduler_.schedule(Duration::zero(), [this] { crash_leader_of_first_org(); });
  }
}

void Demo::crash_leader_of_first_org() {
  Org& org = orgs_[0];
  const auto leaders = org.cluster->leaders();
  if (leaders.size() != 1) {
    // Crashing "the" leader needs one; wait for it rather than crash a bystander.
    if (!crash_pending_) line(org, "*", style_.yellow, "no single leader to crash yet; waiting");
    crash_pending_ = true;
    return;
  }
  const PeerId victim = leaders[0];
  const Tenure tenure = org.tenures[victim];
  org.tenures.erase(victim);
  crashing_ = true;
  org.cluster->crash(victim);
  crashing_ = false;
  org.crashed_peer = victim;
  org.crashed_at = scheduler_.now();
  line(org, victim, style_.red,
       fmt::format("CRASHED while leading (led {}, {}); leaves every view",
                   format_seconds(scheduler_.now() - tenure.since),
                   declarations(tenure.declarations)));
}

DemoResult Demo::run() {
  print_header();
  schedule_starts();
  scheduler_.set_after_event_hook([this] { after_event(); });
  if (options_.crash_at) {
    crash_scheduled_ = true;
    scheduler_.schedule(*options_.crash_at, [this] { crash_leader_of_first_org(); });
  }

  const auto& t = options_.timings;
  if (options_.duration) {
    scheduler_.run_until(*options_.duration);
  } else {
    // Long enough for late starts, a contested first round and a postponed crash.
    const TimePoint crash_deadline = options_.crash_at.value_or(Duration::zero()) +
                                     t.startup_grace_period + 10 * t.leader_alive_threshold +
                                     t.leader_election_duration;
    scheduler_.run_until_condition([this] { return crash_done(); }, crash_deadline);
    if (crash_done()) {
      scheduler_.run_until_condition([this] { return failover_done(); },
                                     *orgs_[0].crashed_at + bound_max_ + t.leader_alive_threshold);
      // One more threshold shows the new leader holding on.
      scheduler_.run_for(t.leader_alive_threshold);
    }
  }
  scheduler_.set_after_event_hook(nullptr);

  DemoResult result;
  result.failover_min = bound_min_;
  result.failover_max = bound_max_;
  result.ended_at = scheduler_.now();
  result.events = scheduler_.events_fired();
  result.suppressed_declarations = suppressed_;
  result.invariant_violations.assign(violations_.begin(), violations_.end());
  for (const Org& org : orgs_) {
    OrgSummary s;
    s.org = org.msp;
    s.leaders_at_end = org.cluster->leaders();
    if (org.first_leader_at) s.first_leader = *org.first_leader_at - *org.first_start;
    s.crashed_peer = org.crashed_peer;
    s.crashed_at = org.crashed_at;
    s.new_leader = org.new_leader;
    if (org.failover_at) {
      s.failover = *org.failover_at - *org.crashed_at;
      s.failover_within_bound = *s.failover >= bound_min_ && *s.failover <= bound_max_;
    } else if (org.crashed_at && scheduler_.now() - *org.crashed_at > bound_max_) {
      s.failover_within_bound = false;  // the bound passed without a new leader
    }
    result.orgs.push_back(std::move(s));
  }
  print_summary(result);
  return result;
}

void Demo::print_summary(const DemoResult& result) {
  const auto& t = options_.timings;
  using config::format_duration;
  fmt::print(out_, "\nrun ended at {}: {} events, {} repeated declarations not shown\n",
             format_seconds(result.ended_at), result.events, result.suppressed_declarations);
  for (const std::string& v : result.invariant_violations)
    fmt::print(out_, "{}invariant violated: {}{}\n", style_.red, v, style_.reset);
  fmt::print(out_,
             "{}summary{} (failover bound, election.md §5: LAT/2+LED .. 2·LAT+LED = {} .. {}, "
             "± message delay {})\n",
             style_.bold, style_.reset,
             format_duration(t.leader_alive_threshold / 2 + t.leader_election_duration),
             format_duration(2 * t.leader_alive_threshold + t.leader_election_duration),
             format_duration(delay_));
  for (const OrgSummary& s : result.orgs) {
    std::string leader;
    if (s.leaders_at_end.size() == 1)
      leader = "leader " + s.leaders_at_end[0];
    else if (s.leaders_at_end.empty())
      leader = "NO leader";
    else
      leader =
          fmt::format("{} leaders: {}", s.leaders_at_end.size(), fmt::join(s.leaders_at_end, ", "));
    const std::string first = s.first_leader ? fmt::format("first leader {} after its first start",
                                                           format_seconds(*s.first_leader))
                                             : "never had a single leader";
    std::string failover;
    if (!s.crashed_peer) {
      failover = "no crash | within bound: n/a";
    } else if (!s.failover) {
      failover = fmt::format("{} crashed, no new single leader | within bound: {}", *s.crashed_peer,
                             s.failover_within_bound ? "NO" : "not yet (run ended first)");
    } else {
      failover =
          fmt::format("failover {} ({} -> {}) | within bound: {}", format_seconds(*s.failover),
                      *s.crashed_peer, *s.new_leader, *s.failover_within_bound ? "yes" : "NO");
    }
    fmt::print(out_, "  {}: {} | {} | {}\n", s.org, leader, first, failover);
  }
}

}  // namespace

DemoResult run_demo(const DemoOptions& options, std::ostream& out) {
  Demo demo(options, out);
  return demo.run();
}

}  // namespace fabnet::cli
