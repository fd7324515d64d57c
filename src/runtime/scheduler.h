#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace fabnet::runtime {

using Duration = std::chrono::nanoseconds;
// Time since the scheduler's epoch. Virtual in the simulator, monotonic in daemons.
using TimePoint = std::chrono::nanoseconds;

using TimerId = std::uint64_t;
inline constexpr TimerId kNoTimer = 0;

// The only way protocol logic learns the time or waits (the role of LevelDB's Env).
// Callbacks run on the scheduler's single thread, one at a time, never re-entrantly
// from schedule() or cancel().
class Scheduler {
 public:
  virtual ~Scheduler() = default;

  virtual TimePoint now() const = 0;
  // Runs `callback` once, `delay` from now (negative delays count as zero).
  virtual TimerId schedule(Duration delay, std::function<void()> callback) = 0;
  // Cancelling a fired, cancelled or unknown timer is a no-op.
  virtual void cancel(TimerId id) = 0;
};

// A timer slot that cancels what it holds when re-armed or destroyed, so owners
// never leak callbacks into a scheduler that outlives them.
class Timer {
 public:
  explicit Timer(Scheduler& scheduler) : scheduler_(&scheduler) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { cancel(); }

  void arm(Duration delay, std::function<void()> callback) {
    cancel();
    id_ = scheduler_->schedule(delay, [this, cb = std::move(callback)] {
      id_ = kNoTimer;
      cb();
    });
  }
  void cancel() {
    if (id_ != kNoTimer) scheduler_->cancel(id_);
    id_ = kNoTimer;
  }
  bool armed() const { return id_ != kNoTimer; }

 private:
  Scheduler* scheduler_;
  TimerId id_ = kNoTimer;
};

}  // namespace fabnet::runtime
