#include "deliver/backoff.h"

#include <cmath>

namespace fabnet::deliver {

runtime::Duration reconnect_delay(int failures, runtime::Duration max_delay) {
  using std::chrono::milliseconds;
  constexpr double kBase = 1.2;
  const double initial = static_cast<double>(runtime::Duration(milliseconds(100)).count());
  // Fabric's int() truncates toward zero, also for thresholds below 100 ms.
  const int max_exponent = static_cast<int>(
      std::log(static_cast<double>(max_delay.count()) / initial) / std::log(kBase));
  const int exponent = failures - 1;
  if (exponent > max_exponent) return max_delay;
  const auto ms = static_cast<std::int64_t>(std::pow(kBase, exponent) * 100.0);
  return milliseconds(ms);
}

}  // namespace fabnet::deliver
