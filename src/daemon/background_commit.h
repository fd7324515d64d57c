#pragma once

#include <functional>

#include <asio/thread_pool.hpp>

#include "ledger/ledger.h"

namespace fabnet::daemon {

// Runs the peer's ledger commits (the fdatasync that makes a group of staged blocks
// durable) on a thread of its own and hands each outcome back to the peer's loop, so
// the loop goes on forwarding blocks and answering peers while the disk works. On a
// busy disk one sync can take longer than the gap between blocks; committed on the
// loop, a peer then fell behind for good (bench/README.md, "Blocks (issue 10 §4)").
class BackgroundCommitter {
 public:
  using Done = std::function<void(ledger::AppendResult)>;
  // `post` runs a function on the peer's loop (thread-safe, e.g. asio::post).
  using Post = std::function<void(std::function<void()>)>;

  explicit BackgroundCommitter(Post post);
  // Finishes the commits already asked for (their outcomes are still posted), then
  // stops the thread. Destroy it before the ledgers it commits.
  ~BackgroundCommitter();
  BackgroundCommitter(const BackgroundCommitter&) = delete;
  BackgroundCommitter& operator=(const BackgroundCommitter&) = delete;

  // ledger.commit() on the commit thread, then `done(result)` through `post`. Commits
  // run one at a time, in the order asked.
  void commit(ledger::Ledger& ledger, Done done);

 private:
  Post post_;
  asio::thread_pool thread_{1};
};

}  // namespace fabnet::daemon
