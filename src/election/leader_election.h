#pragma once

#include <functional>
#include <string_view>
#include <unordered_set>

#include "election/adapter.h"
#include "election/election_config.h"
#include "election/message.h"
#include "runtime/scheduler.h"

namespace fabnet::election {

// Where the instance is in the algorithm of election.md §4.
enum class Phase {
  kCreated,    // start() not called yet
  kStartup,    // sampling the view until it is stable
  kProposing,  // election round: proposal sent, collecting for leaderElectionDuration
  kLeading,    // declaration sent, waiting leaderAliveThreshold/2
  kFollowing,  // waiting leaderAliveThreshold (not interruptible)
  kStatic,     // static leader or follower: no election traffic
  kStopped,
};
std::string_view to_string(Phase phase);

// Things worth a line in a timeline; reported to an optional observer.
enum class ElectionEvent {
  kProposalSent,
  kDeclarationSent,
  kBecameLeader,
  kSteppedDown,  // a lower ID declared while we led
  kYielded,
  kYieldEnded,
  kStartupDone,
  kStopped,
};
std::string_view to_string(ElectionEvent event);

// One leader election for one (channel, org) on one peer: a pure state machine
// driven by the scheduler's timers and by handle_message(). It never blocks,
// sleeps or reads a clock other than the scheduler's.
class LeaderElection {
 public:
  using LeadershipCallback = std::function<void(bool is_leader)>;
  using EventObserver = std::function<void(ElectionEvent)>;

  LeaderElection(PeerId self, ElectionTimings timings, LeaderMode mode,
                 runtime::Scheduler& scheduler, ElectionAdapter& adapter,
                 LeadershipCallback on_leadership_change);
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  // Begins start-up (dynamic) or takes the static role. Messages are handled
  // from construction on, as in Fabric, so none is lost before start().
  void start();
  // An incoming message whose sender is message.pki_id. Messages from peers
  // outside the adapter's view are ignored (§4 rule 1).
  void handle_message(const LeadershipMessage& message);
  // Gives up leadership for 6 x leaderAliveThreshold unless another leader appears (§4).
  void yield();
  // Idempotent; afterwards nothing is sent and no callback runs.
  void stop();

  void set_observer(EventObserver observer) { observer_ = std::move(observer); }

  const PeerId& id() const { return self_; }
  LeaderMode mode() const { return mode_; }
  Phase phase() const { return phase_; }
  bool is_leader() const { return is_leader_; }
  bool leader_exists() const { return leader_exists_; }
  bool yielding() const { return yielding_; }
  bool stopped() const { return phase_ == Phase::kStopped; }
  std::size_t proposals_held() const { return proposals_.size(); }
  bool any_timer_armed() const {
    return wait_timer_.armed() || startup_timer_.armed() || yield_timer_.armed();
  }

 private:
  void on_startup_sample();
  void run_loop_iteration();
  void begin_election_round();
  void finish_election_round();
  void act_on_role();
  // Waits `span`, then runs `next`; a declaration received meanwhile ends the wait early.
  void wait_interruptible(Duration span, void (LeaderElection::*next)());
  void interrupt_wait();
  bool saw_lower_proposal() const;

  void send(bool is_declaration);
  void become_leader();
  void stop_being_leader();
  void stop_yielding();
  void notify(ElectionEvent event) {
    if (observer_) observer_(event);
  }

  PeerId self_;
  ElectionTimings timings_;
  LeaderMode mode_;
  runtime::Scheduler& scheduler_;
  ElectionAdapter& adapter_;
  LeadershipCallback on_leadership_change_;
  EventObserver observer_;

  Phase phase_ = Phase::kCreated;
  bool is_leader_ = false;
  bool leader_exists_ = false;
  bool yielding_ = false;
  bool wait_is_interruptible_ = false;
  void (LeaderElection::*after_wait_)() = nullptr;

  runtime::TimePoint startup_began_{0};
  std::size_t last_sampled_view_size_ = 0;

  std::unordered_set<PeerId> proposals_;
  runtime::Timer wait_timer_;
  runtime::Timer startup_timer_;
  runtime::Timer yield_timer_;
};

}  // namespace fabnet::election
