#include "runtime/virtual_scheduler.h"

#include <algorithm>
#include <stdexcept>

namespace fabnet::runtime {

namespace {
constexpr std::size_t kArity = 4;
}

TimerId VirtualScheduler::schedule(Duration delay, std::function<void()> callback) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (slots_.size() > kSlotMask) throw std::length_error("VirtualScheduler: too many timers");
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  const TimerId id = (next_sequence_++ << kSlotBits) | slot;
  slots_[slot].id = id;
  slots_[slot].callback = std::move(callback);
  ++pending_;
  push(Entry{now_ + std::max(delay, Duration::zero()), id});
  return id;
}

void VirtualScheduler::release(std::uint32_t slot) {
  slots_[slot].id = kNoTimer;
  free_slots_.push_back(slot);
  --pending_;
}

void VirtualScheduler::cancel(TimerId id) {
  const std::uint32_t slot = slot_of(id);
  if (id == kNoTimer || slot >= slots_.size() || slots_[slot].id != id) return;
  slots_[slot].callback = nullptr;  // captured state goes now, not when the entry surfaces
  release(slot);
}

void VirtualScheduler::push(Entry entry) {
  std::size_t hole = heap_.size();
  heap_.emplace_back();
  while (hole > 0) {
    const std::size_t parent = (hole - 1) / kArity;
    if (!(entry < heap_[parent])) break;
    heap_[hole] = heap_[parent];
    hole = parent;
  }
  heap_[hole] = entry;
}

void VirtualScheduler::pop() {
  const Entry last = heap_.back();
  heap_.pop_back();
  const std::size_t size = heap_.size();
  if (size == 0) return;
  std::size_t hole = 0;
  for (;;) {
    const std::size_t first = hole * kArity + 1;
    if (first >= size) break;
    std::size_t least = first;
    const std::size_t end = std::min(first + kArity, size);
    for (std::size_t child = first + 1; child < end; ++child)
      if (heap_[child] < heap_[least]) least = child;
    if (!(heap_[least] < last)) break;
    heap_[hole] = heap_[least];
    hole = least;
  }
  heap_[hole] = last;
}

bool VirtualScheduler::fire_next(TimePoint limit) {
  while (!heap_.empty()) {
    const Entry top = heap_.front();
    if (top.due > limit) return false;
    pop();
    const std::uint32_t slot = slot_of(top.id);
    if (slots_[slot].id != top.id) continue;  // cancelled: dropped lazily
    // Moved out and released first: the callback may schedule (growing slots_) or cancel itself.
    std::function<void()> callback = std::move(slots_[slot].callback);
    slots_[slot].callback = nullptr;
    release(slot);
    now_ = std::max(now_, top.due);
    ++events_fired_;
    callback();
    if (after_event_) after_event_();
    return true;
  }
  return false;
}

void VirtualScheduler::run_until(TimePoint deadline) {
  while (fire_next(deadline)) {
  }
  now_ = std::max(now_, deadline);
}

bool VirtualScheduler::step() {
  return fire_next(TimePoint::max());
}

bool VirtualScheduler::run_until_condition(const std::function<bool()>& done, TimePoint deadline) {
  if (done()) return true;
  while (fire_next(deadline)) {
    if (done()) return true;
  }
  now_ = std::max(now_, deadline);
  return false;
}

}  // namespace fabnet::runtime
