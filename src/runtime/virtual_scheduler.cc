#include "runtime/virtual_scheduler.h"

#include <algorithm>
#include <limits>

namespace fabnet::runtime {

TimerId VirtualScheduler::schedule(Duration delay, std::function<void()> callback) {
  const TimerId id = next_id_++;
  queue_.push(Entry{now_ + std::max(delay, Duration::zero()), id});
  callbacks_.emplace(id, std::move(callback));
  return id;
}

void VirtualScheduler::cancel(TimerId id) {
  callbacks_.erase(id);
}

bool VirtualScheduler::fire_next(TimePoint limit) {
  while (!queue_.empty()) {
    const Entry top = queue_.top();
    if (top.due > limit) return false;
    queue_.pop();
    auto it = callbacks_.find(top.id);
    if (it == callbacks_.end()) continue;  // cancelled: drop lazily
    std::function<void()> callback = std::move(it->second);
    callbacks_.erase(it);
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
