#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <unordered_map>

#include "runtime/scheduler.h"

namespace fabnet::runtime {

// Real-time scheduler on an asio event loop. All callbacks run on the thread that
// runs `io`; schedule/cancel must be called from that thread too (other threads
// hand work to the loop with asio::post).
class AsioScheduler final : public Scheduler {
 public:
  explicit AsioScheduler(asio::io_context& io);
  ~AsioScheduler() override;

  TimePoint now() const override;
  TimerId schedule(Duration delay, std::function<void()> callback) override;
  void cancel(TimerId id) override;

  std::size_t pending() const { return timers_.size(); }

 private:
  asio::io_context& io_;
  std::chrono::steady_clock::time_point epoch_;
  TimerId next_id_ = 1;
  // A zero-delay entry has no timer: its callback was posted.
  std::unordered_map<TimerId, std::unique_ptr<asio::steady_timer>> timers_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // posted callbacks check it
};

}  // namespace fabnet::runtime
