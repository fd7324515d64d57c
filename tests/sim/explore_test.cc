#include "sim/explore.h"

#include <gtest/gtest.h>

namespace fabnet::sim {
namespace {

// issue 3: `--explore` with 200 seeds passes. Split in four parts so ctest runs
// them side by side. Under AddressSanitizer (Debug) a run costs some 50 times
// more (~1.5 s CPU a seed), so that build checks the first seed of each
// part only; the optimized build covers all 200 (~6 s CPU).
#if defined(__SANITIZE_ADDRESS__)
constexpr int kSeedsPerPart = 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr int kSeedsPerPart = 1;
#else
constexpr int kSeedsPerPart = 50;
#endif
#else
constexpr int kSeedsPerPart = 50;
#endif

void explore_part(int part) {
  const std::uint64_t first_seed = 1 + static_cast<std::uint64_t>(part) * 50;
  int calls = 0;
  const ExploreResult r = explore(kSeedsPerPart, first_seed, [&](int done, int total) {
    ++calls;
    EXPECT_EQ(done, calls);
    EXPECT_EQ(total, kSeedsPerPart);
  });
  EXPECT_EQ(r.runs, kSeedsPerPart);
  EXPECT_EQ(calls, kSeedsPerPart);
  EXPECT_GT(r.events, 0u);
  for (const ExploreFailure& f : r.failures) {
    ADD_FAILURE() << "seed " << f.seed << ": " << f.violations.front() << "\nreproducer:\n"
                  << f.scenario_yaml;
  }
}

TEST(ExploreTest, Seeds1To50PassTheInvariants) {
  explore_part(0);
}
TEST(ExploreTest, Seeds51To100PassTheInvariants) {
  explore_part(1);
}
TEST(ExploreTest, Seeds101To150PassTheInvariants) {
  explore_part(2);
}
TEST(ExploreTest, Seeds151To200PassTheInvariants) {
  explore_part(3);
}

// The same random scenarios in the ideal membership model (a run costs a few
// hundredths of a full one, so ten times the seeds).
TEST(ExploreTest, IdealMembershipSeeds1To500PassTheInvariants) {
  const ExploreResult r = explore(kSeedsPerPart * 10, 1, {}, MembershipModel::kIdeal);
  EXPECT_EQ(r.runs, kSeedsPerPart * 10);
  for (const ExploreFailure& f : r.failures) {
    ADD_FAILURE() << "seed " << f.seed << ": " << f.violations.front() << "\nreproducer:\n"
                  << f.scenario_yaml;
  }
  EXPECT_GT(r.events, 0u);
}

}  // namespace
}  // namespace fabnet::sim
