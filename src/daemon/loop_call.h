#pragma once

// Asking the event loop for an answer from another thread (HTTP handlers), with a
// deadline. A request that timed out is cancelled: the caller has already answered
// "busy", so the work must not run afterwards (a /channels/join answered "busy" must
// not join later anyway).

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace fabnet::daemon {

// Runs `work` on `loop` and returns its result, or nullopt if the loop did not start
// it within `timeout`; then it never runs. Work that has started is waited for: it
// runs on the loop and will finish, and its effect must be reported. Rethrows what
// `work` throws.
template <typename Result>
std::optional<Result> call_on_loop(asio::io_context& loop, std::function<Result()> work,
                                   std::chrono::steady_clock::duration timeout) {
  enum class Phase { kQueued, kRunning, kDone, kCancelled };
  struct Call {
    std::mutex mu;
    std::condition_variable cv;
    Phase phase = Phase::kQueued;
    std::optional<Result> result;
    std::exception_ptr error;
  };
  auto call = std::make_shared<Call>();
  asio::post(loop, [call, work = std::move(work)] {
    {
      std::lock_guard lock(call->mu);
      if (call->phase == Phase::kCancelled) return;  // the caller gave up: do nothing
      call->phase = Phase::kRunning;
    }
    std::optional<Result> result;
    std::exception_ptr error;
    try {
      result.emplace(work());
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(call->mu);
      call->result = std::move(result);
      call->error = error;
      call->phase = Phase::kDone;
    }
    call->cv.notify_all();
  });
  std::unique_lock lock(call->mu);
  if (!call->cv.wait_for(lock, timeout, [&] { return call->phase == Phase::kDone; })) {
    if (call->phase == Phase::kQueued) {
      call->phase = Phase::kCancelled;
      return std::nullopt;
    }
    call->cv.wait(lock, [&] { return call->phase == Phase::kDone; });
  }
  if (call->error) std::rethrow_exception(call->error);
  return std::move(call->result);
}

}  // namespace fabnet::daemon
