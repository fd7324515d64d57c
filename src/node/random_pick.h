#pragma once

#include <algorithm>
#include <cstddef>
#include <random>
#include <utility>
#include <vector>

namespace fabnet::node {

// Picks up to `k` distinct elements of `pool` at random (partial Fisher-Yates).
template <typename T>
std::vector<T> pick_random(std::vector<T> pool, std::size_t k, std::mt19937_64& random) {
  k = std::min(k, pool.size());
  for (std::size_t i = 0; i < k; ++i) {
    std::uniform_int_distribution<std::size_t> pick(i, pool.size() - 1);
    std::swap(pool[i], pool[pick(random)]);
  }
  pool.resize(k);
  return pool;
}

// Exactly pick_random(pool without the elements at `skipped`, k, random), without
// copying the pool: the partial Fisher-Yates runs over a virtual copy and records
// only the positions it swapped. `skipped` is sorted ascending, without repeats.
template <typename T>
std::vector<T> pick_random_skipping(const std::vector<T>& pool,
                                    const std::vector<std::size_t>& skipped, std::size_t k,
                                    std::mt19937_64& random) {
  const std::size_t n = pool.size() - skipped.size();
  k = std::min(k, n);
  std::vector<std::pair<std::size_t, T>> moved;  // virtual position -> value swapped there
  const auto at = [&](std::size_t position) {
    for (const auto& [p, value] : moved)
      if (p == position) return value;
    for (std::size_t s : skipped)
      if (position >= s) ++position;
    return pool[position];
  };
  const auto put = [&](std::size_t position, T value) {
    for (auto& [p, held] : moved)
      if (p == position) {
        held = value;
        return;
      }
    moved.emplace_back(position, value);
  };
  std::vector<T> picked;
  picked.reserve(k);
  for (std::size_t i = 0; i < k; ++i) {
    std::uniform_int_distribution<std::size_t> pick(i, n - 1);
    const std::size_t j = pick(random);
    const T at_i = at(i);
    const T at_j = at(j);
    put(i, at_j);
    put(j, at_i);
    picked.push_back(at_j);
  }
  return picked;
}

}  // namespace fabnet::node
