#pragma once

// Shared set-up for election tests: a virtual clock, one (channel, org) cluster,
// and the invariant checker run after every event (LogCabin style).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/election_cluster.h"

namespace fabnet::testing {

using election::ElectionTimings;
using election::LeaderMode;
using election::PeerId;
using runtime::Duration;
using runtime::TimePoint;
using std::chrono::milliseconds;

inline std::vector<PeerId> peer_names(int first, int last) {
  std::vector<PeerId> names;
  if (first <= last)
    for (int i = first; i <= last; ++i) names.push_back("p" + std::to_string(i));
  else
    for (int i = first; i >= last; --i) names.push_back("p" + std::to_string(i));
  return names;
}

class ElectionTest : public ::testing::Test {
 protected:
  explicit ElectionTest(ElectionTimings timings = ElectionTimings::fabric_test_timings(),
                        Duration delay = milliseconds(1))
      : cluster_(scheduler_, options(timings, delay)) {
    scheduler_.set_after_event_hook([this] {
      for (std::string& v : cluster_.check_invariants()) violations_.push_back(std::move(v));
    });
  }
  ~ElectionTest() override {
    for (const std::string& v : violations_) ADD_FAILURE() << "invariant violated: " << v;
  }

  static sim::ClusterOptions options(ElectionTimings timings, Duration delay) {
    sim::ClusterOptions o;
    o.timings = timings;
    o.message_delay = delay;
    return o;
  }
  const ElectionTimings& timings() const { return cluster_.options().timings; }
  Duration lat() const { return timings().leader_alive_threshold; }
  Duration led() const { return timings().leader_election_duration; }
  Duration sgp() const { return timings().startup_grace_period; }

  void add_and_start(const std::vector<PeerId>& ids) {
    for (const PeerId& id : ids) cluster_.add_peer(id);
    for (const PeerId& id : ids) cluster_.start(id);
  }
  void run_for(Duration d) { scheduler_.run_for(d); }
  // Runs until exactly one leader exists; returns it ("" on timeout).
  PeerId run_until_single_leader(Duration limit) {
    scheduler_.run_until_condition([&] { return cluster_.leaders().size() == 1; },
                                   scheduler_.now() + limit);
    auto l = cluster_.leaders();
    return l.size() == 1 ? l.front() : PeerId{};
  }
  std::vector<PeerId> leaders() const { return cluster_.leaders(); }

  runtime::VirtualScheduler scheduler_;
  sim::ElectionCluster cluster_;
  std::vector<std::string> violations_;
};

}  // namespace fabnet::testing
