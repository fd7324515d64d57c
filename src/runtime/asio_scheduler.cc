#include "runtime/asio_scheduler.h"

#include <asio/post.hpp>

namespace fabnet::runtime {

AsioScheduler::AsioScheduler(asio::io_context& io)
    : io_(io), epoch_(std::chrono::steady_clock::now()) {}

AsioScheduler::~AsioScheduler() {
  for (auto& [id, timer] : timers_) {
    if (timer) timer->cancel();
  }
}

TimePoint AsioScheduler::now() const {
  return std::chrono::duration_cast<TimePoint>(std::chrono::steady_clock::now() - epoch_);
}

TimerId AsioScheduler::schedule(Duration delay, std::function<void()> callback) {
  const TimerId id = next_id_++;
  if (delay <= Duration::zero()) {
    // "As soon as the loop is free": a post runs after the handlers already queued,
    // as an expired timer would, without arming a kernel timer (a syscall each).
    timers_.emplace(id, nullptr);
    asio::post(io_, [this, alive = std::weak_ptr<char>(alive_), id, cb = std::move(callback)] {
      if (alive.expired()) return;  // the scheduler is gone
      auto it = timers_.find(id);
      if (it == timers_.end()) return;  // cancelled
      timers_.erase(it);
      cb();
    });
    return id;
  }
  auto timer = std::make_unique<asio::steady_timer>(io_);
  timer->expires_after(delay);
  timer->async_wait([this, id, cb = std::move(callback)](const std::error_code& error) {
    // A cancelled timer completes with operation_aborted; its entry is already gone.
    if (error) return;
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    timers_.erase(it);
    cb();
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

void AsioScheduler::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  if (it->second) it->second->cancel();
  // Destroying the timer here is safe: asio keeps the pending handler alive until
  // it runs with operation_aborted.
  timers_.erase(it);
}

}  // namespace fabnet::runtime
