#include "orderer/ordered_workers.h"

#include <algorithm>

namespace fabnet::orderer {

OrderedWorkers::OrderedWorkers(std::size_t threads) {
  threads = std::max<std::size_t>(threads, 1);
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { run(); });
}

OrderedWorkers::~OrderedWorkers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  has_work_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void OrderedWorkers::submit(std::function<void()> work, std::function<void()> release) {
  auto job = std::make_shared<Job>();
  job->work = std::move(work);
  job->release = std::move(release);
  {
    std::lock_guard lock(mutex_);
    todo_.push_back(job);
    ordered_.push_back(std::move(job));
  }
  has_work_.notify_one();
}

void OrderedWorkers::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    has_work_.wait(lock, [this] { return stopping_ || !todo_.empty(); });
    if (todo_.empty()) return;  // stopping, and everything submitted has run
    std::shared_ptr<Job> job = std::move(todo_.front());
    todo_.pop_front();
    lock.unlock();
    job->work();
    lock.lock();
    job->done = true;
    // One worker releases at a time, oldest first, as far as jobs are done; a worker
    // that finds another releasing leaves its job to it (re-checked after each one).
    if (releasing_) continue;
    releasing_ = true;
    while (!ordered_.empty() && ordered_.front()->done) {
      std::shared_ptr<Job> next = std::move(ordered_.front());
      ordered_.pop_front();
      lock.unlock();
      next->release();
      lock.lock();
    }
    releasing_ = false;
  }
}

}  // namespace fabnet::orderer
