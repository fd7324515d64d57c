#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace fabnet::orderer {

// Worker threads that run jobs in parallel but release their results in the order
// the jobs were submitted. The orderer checks envelope signatures here (one ECDSA
// verify each, the dominant cost of Broadcast) on every core while the envelopes
// still reach the block cutter in arrival order, whichever stream they came on.
class OrderedWorkers {
 public:
  // `threads` workers (at least one).
  explicit OrderedWorkers(std::size_t threads);
  // Runs what was submitted, then joins the workers.
  ~OrderedWorkers();
  OrderedWorkers(const OrderedWorkers&) = delete;
  OrderedWorkers& operator=(const OrderedWorkers&) = delete;

  // `work` runs on some worker, concurrently with other jobs; `release` runs after
  // it, and after the `release` of every job submitted earlier, never two at once.
  // Thread-safe.
  void submit(std::function<void()> work, std::function<void()> release);

  std::size_t threads() const { return workers_.size(); }

 private:
  struct Job {
    std::function<void()> work;
    std::function<void()> release;
    bool done = false;
  };
  void run();

  std::mutex mutex_;
  std::condition_variable has_work_;
  std::deque<std::shared_ptr<Job>> todo_;     // not started
  std::deque<std::shared_ptr<Job>> ordered_;  // submitted, not released, oldest first
  bool releasing_ = false;                    // a worker is running releases
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace fabnet::orderer
