#include "daemon/background_commit.h"

#include <asio/post.hpp>

namespace fabnet::daemon {

BackgroundCommitter::BackgroundCommitter(Post post) : post_(std::move(post)) {}

BackgroundCommitter::~BackgroundCommitter() {
  thread_.join();  // runs what is queued; thread_pool's own destructor would drop it
}

void BackgroundCommitter::commit(ledger::Ledger& ledger, Done done) {
  asio::post(thread_, [this, &ledger, done = std::move(done)]() mutable {
    ledger::AppendResult result = ledger.commit();
    post_([done = std::move(done), result = std::move(result)] { done(result); });
  });
}

}  // namespace fabnet::daemon
