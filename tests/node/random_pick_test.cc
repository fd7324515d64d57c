#include "node/random_pick.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace fabnet::node {
namespace {

// pick_random_skipping must draw exactly what pick_random draws over the pool
// with the skipped elements removed: the simulator's runs depend on it.
TEST(RandomPick, SkippingMatchesPickRandomOverTheFilteredPool) {
  std::mt19937_64 cases(42);
  for (int round = 0; round < 5000; ++round) {
    const std::size_t size = cases() % 12;
    std::vector<int> pool(size);
    for (std::size_t i = 0; i < size; ++i) pool[i] = static_cast<int>(i * 10);
    std::vector<std::size_t> skipped;
    for (std::size_t i = 0; i < size; ++i)
      if (cases() % 4 == 0) skipped.push_back(i);
    const std::size_t k = cases() % 6;

    std::vector<int> filtered;
    for (std::size_t i = 0; i < size; ++i)
      if (std::find(skipped.begin(), skipped.end(), i) == skipped.end())
        filtered.push_back(pool[i]);

    const std::uint64_t seed = cases();
    std::mt19937_64 reference_random(seed);
    std::mt19937_64 skipping_random(seed);
    EXPECT_EQ(pick_random_skipping(pool, skipped, k, skipping_random),
              pick_random(filtered, k, reference_random))
        << "round " << round;
    EXPECT_EQ(skipping_random, reference_random) << "round " << round;
  }
}

}  // namespace
}  // namespace fabnet::node
