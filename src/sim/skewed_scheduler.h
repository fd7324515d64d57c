#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "runtime/virtual_scheduler.h"

namespace fabnet::sim {

// One node's view of the shared virtual clock. Models two host faults:
// - clock-rate skew: with rate 1.05 the host's clock runs 5% fast, so now()
//   advances 1.05 s per virtual second and a 1 s timer fires after 1/1.05 s;
// - a hung process (pause): due timers are held instead of fired, and on
//   resume() the overdue ones fire at once, in due order, with the node's old
//   state. The host clock keeps running meanwhile, as a wall clock would.
// Must be destroyed before its base scheduler; destruction cancels every timer.
class SkewedScheduler final : public runtime::Scheduler {
 public:
  // The local clock starts equal to the base clock.
  explicit SkewedScheduler(runtime::VirtualScheduler& base, double rate = 1.0)
      : base_(base), local_anchor_(base.now()), base_anchor_(base.now()) {
    set_rate(rate);
  }
  ~SkewedScheduler() override { cancel_all(); }
  SkewedScheduler(const SkewedScheduler&) = delete;
  SkewedScheduler& operator=(const SkewedScheduler&) = delete;

  runtime::TimePoint now() const override { return to_local(base_.now()); }

  runtime::TimerId schedule(runtime::Duration delay, std::function<void()> callback) override {
    delay = std::max(delay, runtime::Duration::zero());
    const runtime::TimerId id = next_id_++;
    Pending& p = timers_[id];
    p.local_due = now() + delay;
    p.callback = std::move(callback);
    p.base_id = base_.schedule(to_base(delay), [this, id] { fire(id); });
    return id;
  }

  void cancel(runtime::TimerId id) override {
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    if (it->second.base_id != runtime::kNoTimer) base_.cancel(it->second.base_id);
    timers_.erase(it);
  }

  double rate() const { return rate_; }

  // Changes the clock rate from now on. now() stays continuous and pending
  // timers keep their local due time (they are re-timed on the base clock).
  void set_rate(double rate) {
    if (!(rate > 0) || !std::isfinite(rate)) throw std::invalid_argument("clock rate must be > 0");
    local_anchor_ = now();
    base_anchor_ = base_.now();
    rate_ = rate;
    const runtime::TimePoint local_now = now();
    for (runtime::TimerId id : armed_in_due_order()) {
      Pending& p = timers_.at(id);
      base_.cancel(p.base_id);
      p.base_id = base_.schedule(to_base(p.local_due - local_now), [this, id] { fire(id); });
    }
  }

  // While paused nothing fires; timers that come due are held.
  void pause() { paused_ = true; }
  // Fires the held (overdue) timers right away, in due order, then runs normally.
  void resume() {
    if (!paused_) return;
    paused_ = false;
    std::vector<std::pair<runtime::TimePoint, runtime::TimerId>> held;
    for (auto& [id, p] : timers_) {
      if (p.base_id == runtime::kNoTimer) held.emplace_back(p.local_due, id);
    }
    std::sort(held.begin(), held.end());
    for (const auto& [due, id] : held) {
      timers_.at(id).base_id = base_.schedule(runtime::Duration::zero(), [this, id] { fire(id); });
    }
  }
  bool paused() const { return paused_; }

  // Drops every pending timer (the process died).
  void cancel_all() {
    for (auto& [id, p] : timers_) {
      if (p.base_id != runtime::kNoTimer) base_.cancel(p.base_id);
    }
    timers_.clear();
  }
  std::size_t pending() const { return timers_.size(); }

 private:
  struct Pending {
    runtime::TimePoint local_due{0};
    runtime::TimerId base_id = runtime::kNoTimer;  // kNoTimer while held by a pause
    std::function<void()> callback;
  };

  void fire(runtime::TimerId id) {
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    if (paused_) {
      it->second.base_id = runtime::kNoTimer;
      return;
    }
    std::function<void()> callback = std::move(it->second.callback);
    timers_.erase(it);
    callback();
  }

  runtime::TimePoint to_local(runtime::TimePoint base_now) const {
    const runtime::Duration elapsed = base_now - base_anchor_;
    if (rate_ == 1.0) return local_anchor_ + elapsed;
    return local_anchor_ +
           runtime::Duration(std::llround(static_cast<double>(elapsed.count()) * rate_));
  }

  // Rounded up, so a timer never fires before its local due time.
  runtime::Duration to_base(runtime::Duration local_delay) const {
    local_delay = std::max(local_delay, runtime::Duration::zero());
    if (rate_ == 1.0) return local_delay;
    return runtime::Duration(
        static_cast<std::int64_t>(std::ceil(static_cast<double>(local_delay.count()) / rate_)));
  }

  std::vector<runtime::TimerId> armed_in_due_order() const {
    std::vector<std::pair<runtime::TimePoint, runtime::TimerId>> armed;
    for (const auto& [id, p] : timers_) {
      if (p.base_id != runtime::kNoTimer) armed.emplace_back(p.local_due, id);
    }
    std::sort(armed.begin(), armed.end());
    std::vector<runtime::TimerId> ids;
    ids.reserve(armed.size());
    for (const auto& entry : armed) ids.push_back(entry.second);
    return ids;
  }

  runtime::VirtualScheduler& base_;
  double rate_ = 1.0;
  runtime::TimePoint local_anchor_;
  runtime::TimePoint base_anchor_;
  bool paused_ = false;
  runtime::TimerId next_id_ = 1;
  std::map<runtime::TimerId, Pending> timers_;
};

}  // namespace fabnet::sim
