#pragma once

#include <cstdint>
#include <functional>
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

  std::size_t pending() const { return pending_; }
  std::uint64_t events_fired() const { return events_fired_; }

  // Called after every fired event; tests install invariant checkers here.
  void set_after_event_hook(std::function<void()> hook) { after_event_ = std::move(hook); }

 private:
  // A TimerId packs the schedule() sequence number above the slot holding the
  // callback: ids are unique, so a stale id (fired, cancelled, slot reused)
  // matches nothing, and ordering ids orders by scheduling.
  static constexpr int kSlotBits = 24;
  static constexpr std::uint32_t kSlotMask = (1u << kSlotBits) - 1;
  static std::uint32_t slot_of(TimerId id) { return static_cast<std::uint32_t>(id) & kSlotMask; }

  // 16 bytes, so a 4-ary heap node's children share a cache line or two.
  struct Entry {
    TimePoint due;
    TimerId id;  // ties at the same instant fire in scheduling order
    bool operator<(const Entry& other) const {
      return due != other.due ? due < other.due : id < other.id;
    }
  };
  struct Slot {
    TimerId id = kNoTimer;  // the armed timer, kNoTimer when free
    std::function<void()> callback;
  };
  bool fire_next(TimePoint limit);
  void push(Entry entry);
  void pop();
  void release(std::uint32_t slot);

  TimePoint now_{0};
  std::uint64_t next_sequence_ = 1;
  std::uint64_t events_fired_ = 0;
  std::size_t pending_ = 0;
  // A 4-ary min-heap of due timers. Cancelled ones stay until they reach the top.
  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::function<void()> after_event_;
};

}  // namespace fabnet::runtime
