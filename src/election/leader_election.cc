#include "election/leader_election.h"

#include "runtime/check.h"

namespace fabnet::election {

std::string_view to_string(Phase phase) {
  switch (phase) {
    case Phase::kCreated:
      return "created";
    case Phase::kStartup:
      return "startup";
    case Phase::kProposing:
      return "proposing";
    case Phase::kLeading:
      return "leading";
    case Phase::kFollowing:
      return "following";
    case Phase::kStatic:
      return "static";
    case Phase::kStopped:
      return "stopped";
  }
  return "?";
}

std::string_view to_string(ElectionEvent event) {
  switch (event) {
    case ElectionEvent::kProposalSent:
      return "proposal";
    case ElectionEvent::kDeclarationSent:
      return "declaration";
    case ElectionEvent::kBecameLeader:
      return "became leader";
    case ElectionEvent::kSteppedDown:
      return "stepped down";
    case ElectionEvent::kYielded:
      return "yielded";
    case ElectionEvent::kYieldEnded:
      return "yield ended";
    case ElectionEvent::kStartupDone:
      return "startup done";
    case ElectionEvent::kStopped:
      return "stopped";
  }
  return "?";
}

LeaderElection::LeaderElection(PeerId self, ElectionTimings timings, LeaderMode mode,
                               runtime::Scheduler& scheduler, ElectionAdapter& adapter,
                               LeadershipCallback on_leadership_change)
    : self_(std::move(self)),
      timings_(timings),
      mode_(mode),
      scheduler_(scheduler),
      adapter_(adapter),
      on_leadership_change_(std::move(on_leadership_change)),
      wait_timer_(scheduler),
      startup_timer_(scheduler),
      yield_timer_(scheduler) {}

void LeaderElection::start() {
  if (phase_ != Phase::kCreated) return;
  if (mode_ != LeaderMode::kDynamic) {
    phase_ = Phase::kStatic;
    if (mode_ == LeaderMode::kStaticLeader) {
      leader_exists_ = true;
      become_leader();
    }
    adapter_.report_leader_metric(is_leader_);
    return;
  }
  phase_ = Phase::kStartup;
  startup_began_ = scheduler_.now();
  last_sampled_view_size_ = adapter_.view_size();
  startup_timer_.arm(timings_.membership_sample_interval, [this] { on_startup_sample(); });
}

// Start-up ends at the first sample whose view size equals the previous one, when
// the grace period is over, or once a declaration was seen (§4 start-up).
void LeaderElection::on_startup_sample() {
  const std::size_t size = adapter_.view_size();
  const bool grace_over = scheduler_.now() - startup_began_ >= timings_.startup_grace_period;
  if (size == last_sampled_view_size_ || grace_over || leader_exists_) {
    notify(ElectionEvent::kStartupDone);
    run_loop_iteration();
    return;
  }
  last_sampled_view_size_ = size;
  startup_timer_.arm(timings_.membership_sample_interval, [this] { on_startup_sample(); });
}

void LeaderElection::run_loop_iteration() {
  if (stopped()) return;
  if (!leader_exists_) {
    begin_election_round();  // continues in finish_election_round()
    return;
  }
  act_on_role();
}

void LeaderElection::begin_election_round() {
  if (yielding_) {
    act_on_role();
    return;
  }
  phase_ = Phase::kProposing;
  send(/*is_declaration=*/false);
  wait_interruptible(timings_.leader_election_duration, &LeaderElection::finish_election_round);
}

void LeaderElection::finish_election_round() {
  // Give up if someone declared meanwhile, if we started yielding, or if a better
  // candidate proposed (§4 election round, steps 4-6).
  if (!leader_exists_ && !yielding_ && !saw_lower_proposal()) {
    become_leader();
    leader_exists_ = true;
  }
  act_on_role();
}

bool LeaderElection::saw_lower_proposal() const {
  for (const PeerId& proposer : proposals_) {
    if (id_less(proposer, self_)) return true;
  }
  return false;
}

// Main loop steps 2-4.
void LeaderElection::act_on_role() {
  if (stopped()) return;
  if (leader_exists_ && yielding_) stop_yielding();
  if (is_leader_) {
    phase_ = Phase::kLeading;
    send(/*is_declaration=*/true);
    adapter_.report_leader_metric(true);
    wait_interruptible(timings_.leader_alive_threshold / 2, &LeaderElection::run_loop_iteration);
    return;
  }
  phase_ = Phase::kFollowing;
  proposals_.clear();
  leader_exists_ = false;
  adapter_.report_leader_metric(false);
  // Deliberately not interruptible: a follower must sit out a whole threshold
  // without a declaration before it suspects the leader (§4 main loop step 4).
  wait_is_interruptible_ = false;
  wait_timer_.arm(timings_.leader_alive_threshold, [this] { run_loop_iteration(); });
}

void LeaderElection::wait_interruptible(Duration span, void (LeaderElection::*next)()) {
  wait_is_interruptible_ = true;
  after_wait_ = next;
  wait_timer_.arm(span, [this] {
    wait_is_interruptible_ = false;
    (this->*after_wait_)();
  });
}

// Ends a running interruptible wait. The continuation runs as its own event (zero
// delay) so that handle_message() finishes first, as Fabric's message goroutine does.
void LeaderElection::interrupt_wait() {
  if (!wait_is_interruptible_ || !wait_timer_.armed()) return;
  wait_is_interruptible_ = false;
  wait_timer_.arm(Duration::zero(), [this] { (this->*after_wait_)(); });
}

void LeaderElection::handle_message(const LeadershipMessage& message) {
  if (stopped() || phase_ == Phase::kStatic) return;
  if (!adapter_.is_in_view(message.pki_id)) return;
  if (!message.is_declaration) {
    proposals_.insert(message.pki_id);
    return;
  }
  leader_exists_ = true;
  interrupt_wait();
  if (is_leader_ && id_less(message.pki_id, self_)) {
    stop_being_leader();
    notify(ElectionEvent::kSteppedDown);
  }
}

void LeaderElection::yield() {
  if (mode_ != LeaderMode::kDynamic || stopped()) return;
  if (!is_leader_ || yielding_) return;
  yielding_ = true;
  stop_being_leader();
  leader_exists_ = false;
  notify(ElectionEvent::kYielded);
  yield_timer_.arm(timings_.leader_alive_threshold * 6, [this] {
    yielding_ = false;
    notify(ElectionEvent::kYieldEnded);
  });
}

void LeaderElection::stop_yielding() {
  yielding_ = false;
  yield_timer_.cancel();
  notify(ElectionEvent::kYieldEnded);
}

void LeaderElection::stop() {
  if (stopped()) return;
  phase_ = Phase::kStopped;
  wait_timer_.cancel();
  startup_timer_.cancel();
  yield_timer_.cancel();
  wait_is_interruptible_ = false;
  notify(ElectionEvent::kStopped);
}

void LeaderElection::send(bool is_declaration) {
  // A stopped instance sends nothing (its peer may be down or gone from the channel).
  FABNET_CHECK(!stopped());
  adapter_.gossip(adapter_.create_message(is_declaration));
  notify(is_declaration ? ElectionEvent::kDeclarationSent : ElectionEvent::kProposalSent);
}

void LeaderElection::become_leader() {
  // Two "became leader" callbacks in a row would double the block delivery side.
  FABNET_CHECK(!is_leader_);
  is_leader_ = true;
  notify(ElectionEvent::kBecameLeader);
  if (on_leadership_change_) on_leadership_change_(true);
}

void LeaderElection::stop_being_leader() {
  FABNET_CHECK(is_leader_);
  is_leader_ = false;
  if (on_leadership_change_) on_leadership_change_(false);
}

}  // namespace fabnet::election
