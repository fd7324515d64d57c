#include "orderer/ordered_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

namespace fabnet::orderer {
namespace {

TEST(OrderedWorkers, ReleasesInSubmissionOrderWhenLaterWorkFinishesFirst) {
  std::vector<int> released;
  std::promise<void> first_may_finish;
  std::shared_future<void> gate = first_may_finish.get_future().share();
  std::promise<void> second_done;
  {
    OrderedWorkers workers(2);
    // The first job blocks until the second has finished its work: its release
    // must still come first.
    workers.submit([gate] { gate.wait(); }, [&] { released.push_back(1); });
    workers.submit([&] { second_done.set_value(); }, [&] { released.push_back(2); });
    second_done.get_future().wait();
    EXPECT_TRUE(released.empty()) << "job 2 released before job 1";
    first_may_finish.set_value();
  }  // the destructor runs what was submitted
  EXPECT_EQ(released, (std::vector<int>{1, 2}));
}

TEST(OrderedWorkers, ManyJobsFromSeveralThreadsAreReleasedOncePerJobInOrder) {
  constexpr int kPerThread = 2000;
  std::mutex mutex;
  std::vector<int> submitted, released;
  std::atomic<int> concurrent{0}, overlapping_releases{0};
  {
    OrderedWorkers workers(4);
    std::vector<std::thread> submitters;
    for (int t = 0; t < 3; ++t) {
      submitters.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const int id = t * kPerThread + i;
          // Submission order is what the lock serialises.
          std::lock_guard lock(mutex);
          submitted.push_back(id);
          workers.submit([] {},
                         [&, id] {
                           if (concurrent.fetch_add(1) != 0) ++overlapping_releases;
                           released.push_back(id);
                           concurrent.fetch_sub(1);
                         });
        }
      });
    }
    for (auto& s : submitters) s.join();
  }
  EXPECT_EQ(overlapping_releases.load(), 0);
  EXPECT_EQ(released, submitted);
}

}  // namespace
}  // namespace fabnet::orderer
