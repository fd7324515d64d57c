#include "daemon/background_commit.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "ledger/memory_ledger.h"

namespace fabnet::daemon {
namespace {

// A ledger whose commit() records the thread it ran on and can be held back.
class RecordingLedger final : public ledger::Ledger {
 public:
  std::uint64_t height() const override { return chain.height(); }
  std::string last_header_hash() const override { return chain.last_header_hash(); }
  std::optional<std::string> block_bytes(std::uint64_t n) const override {
    return chain.block_bytes(n);
  }
  std::optional<common::Block> block(std::uint64_t n) const override { return chain.block(n); }
  ledger::AppendResult append(const common::Block& b, std::string_view bytes) override {
    return chain.append(b, bytes);
  }
  ledger::AppendResult commit() override {
    std::unique_lock lock(mutex);
    threads.push_back(std::this_thread::get_id());
    released.wait(lock, [this] { return !hold; });
    return {};
  }
  std::mutex mutex;
  std::condition_variable released;
  bool hold = false;
  std::vector<std::thread::id> threads;
  ledger::MemoryLedger chain;
};

// The peer's loop, reduced to a queue the test drains on its own thread.
struct Loop {
  void post(std::function<void()> f) {
    std::lock_guard lock(mutex);
    queued.push_back(std::move(f));
  }
  std::size_t run() {
    std::vector<std::function<void()>> now;
    {
      std::lock_guard lock(mutex);
      now.swap(queued);
    }
    for (auto& f : now) f();
    return now.size();
  }
  std::mutex mutex;
  std::vector<std::function<void()>> queued;
};

TEST(BackgroundCommitter, CommitsOffTheCallersThreadAndAnswersThroughPost) {
  RecordingLedger ledger;
  Loop loop;
  std::vector<int> outcomes;
  {
    BackgroundCommitter committer([&loop](std::function<void()> f) { loop.post(std::move(f)); });
    {
      std::lock_guard lock(ledger.mutex);
      ledger.hold = true;
    }
    committer.commit(ledger, [&](ledger::AppendResult r) { outcomes.push_back(r.ok ? 1 : 0); });
    committer.commit(ledger, [&](ledger::AppendResult r) { outcomes.push_back(r.ok ? 2 : 0); });
    EXPECT_EQ(loop.run(), 0u) << "answered before the commit ran";
    {
      std::lock_guard lock(ledger.mutex);
      ledger.hold = false;
    }
    ledger.released.notify_all();
  }  // the destructor finishes both commits
  EXPECT_TRUE(outcomes.empty()) << "an outcome ran outside the loop";
  EXPECT_EQ(loop.run(), 2u);
  EXPECT_EQ(outcomes, (std::vector<int>{1, 2})) << "in the order asked";
  ASSERT_EQ(ledger.threads.size(), 2u);
  EXPECT_NE(ledger.threads[0], std::this_thread::get_id());
  EXPECT_EQ(ledger.threads[0], ledger.threads[1]) << "one commit thread";
}

}  // namespace
}  // namespace fabnet::daemon
