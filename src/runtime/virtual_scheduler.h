#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "runtime/scheduler.h"

namespace fabnet::runtime {

// Deterministic discrete-event scheduler: time only moves when run_* is called,
// jumping from one due timer to the next. Timers due at the same instant fire in
// the order they were scheduled, so a run is a pure function of its inputs.
class VirtualScheduler final : public Scheduler {
 public:
  VirtualScheduler() = default;

  TimePoint now() const override { return now_; }
  TimerId schedule(Duration delay, std::function<void()> callback) override;
  void cancel(TimerId id) override;

  // Fires every timer due at or before `deadline`, then sets the clock to it.
  void run_until(TimePoint deadline);
  void run_for(Duration span) { run_until(now_ + span); }
  // Fires the next due timer, if any. Returns false when none is pending.
  bool step();
  // Runs until `done()` holds (checked after each event) or `deadline` passes.
  // Returns whether `done()` held.
  bool run_until_condition(const std::function<bool()>& done, TimePoint deadline);

  std::size_t pending() const { return callbacks_.size(); }
  std::uint64_t events_fired() const { return events_fired_; }

  // Called after every fired event; tests install invariant checkers here.
  void set_after_event_hook(std::function<void()> hook) { after_event_ = std::move(hook); }

 private:
  struct Entry {
    TimePoint due;
    TimerId id;  // ids increase, so they break ties in scheduling order
    bool operator>(const Entry& other) const {
      return due != other.due ? due > other.due : id > other.id;
    }
  };
  bool fire_next(TimePoint limit);

  TimePoint now_{0};
  TimerId next_id_ = 1;
  std::uint64_t events_fired_ = 0;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  std::unordered_map<TimerId, std::function<void()>> callbacks_;  // cancelled = erased
  std::function<void()> after_event_;
};

}  // namespace fabnet::runtime
