#pragma once

#include <cstdint>
#include <random>

namespace fabnet::sim {

// Draws from the run's one seeded source. Written out rather than using the
// std distributions, whose output differs between standard libraries: a seed
// must replay the same run wherever it is built.
inline std::uint64_t draw_below(std::mt19937_64& random, std::uint64_t bound) {
  return bound == 0 ? 0 : random() % bound;
}
inline std::int64_t draw_between(std::mt19937_64& random, std::int64_t low, std::int64_t high) {
  return low +
         static_cast<std::int64_t>(draw_below(random, static_cast<std::uint64_t>(high - low) + 1));
}
// Uniform in [0, 1).
inline double draw_unit(std::mt19937_64& random) {
  return static_cast<double>(random() >> 11) * 0x1.0p-53;
}
inline bool draw_chance(std::mt19937_64& random, double probability) {
  return probability > 0 && draw_unit(random) < probability;
}

}  // namespace fabnet::sim
