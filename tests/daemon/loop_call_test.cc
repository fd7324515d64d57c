// call_on_loop: how the daemon's HTTP threads ask the event loop for work (e.g.
// /channels/join). A request answered "busy" must not take effect afterwards.

#include "daemon/loop_call.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

namespace fabnet::daemon {
namespace {

using namespace std::chrono_literals;

TEST(DaemonLoopCall, ReturnsTheResultOfWorkRunOnTheLoop) {
  asio::io_context loop;
  auto guard = asio::make_work_guard(loop);
  std::thread runner([&] { loop.run(); });
  std::thread::id ran_on;
  auto result = call_on_loop<int>(
      loop,
      [&] {
        ran_on = std::this_thread::get_id();
        return 42;
      },
      10s);
  const auto runner_id = runner.get_id();
  guard.reset();
  runner.join();
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(ran_on, runner_id);
}

// The loop is busy (here: not running at all) past the deadline: the caller answers
// "busy", and when the loop comes free the join must not happen anyway.
TEST(DaemonLoopCall, JoinAnsweredBusyNeverRunsLater) {
  asio::io_context loop;
  bool joined = false;
  auto answer = call_on_loop<std::string>(
      loop,
      [&] {
        joined = true;
        return std::string("joined");
      },
      20ms);
  EXPECT_FALSE(answer);  // "event loop busy"
  loop.run();            // the loop catches up with its queue
  EXPECT_FALSE(joined);
}

TEST(DaemonLoopCall, ExceptionsOfTheWorkReachTheCaller) {
  asio::io_context loop;
  auto guard = asio::make_work_guard(loop);
  std::thread runner([&] { loop.run(); });
  EXPECT_THROW(call_on_loop<int>(
                   loop, []() -> int { throw std::runtime_error("no such channel"); }, 10s),
               std::runtime_error);
  guard.reset();
  runner.join();
}

// Work the loop started before the deadline is waited for, so that its effect is
// reported rather than answered as "busy".
TEST(DaemonLoopCall, WorkStartedBeforeTheDeadlineIsWaitedFor) {
  asio::io_context loop;
  auto guard = asio::make_work_guard(loop);
  std::thread runner([&] { loop.run(); });
  const auto called_at = std::chrono::steady_clock::now();
  // The work outlasts the caller's 100 ms deadline; the caller must still get 7.
  auto result = call_on_loop<int>(
      loop,
      [&] {
        while (std::chrono::steady_clock::now() < called_at + 300ms) std::this_thread::yield();
        return 7;
      },
      100ms);
  guard.reset();
  runner.join();
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, 7);
}

}  // namespace
}  // namespace fabnet::daemon
