#pragma once

// Bounds the handshake checks that run on the event loop (MSP validation and a
// signature verification each), so that a flood of bogus handshakes cannot stall the
// loop and with it elections: a token bucket (`rate` per second, `burst` at once) and
// a cap on checks posted to the loop and not yet answered. Handshakes beyond either
// bound are refused before they reach the loop; an honest peer redials. Pure: time is
// passed in; the caller serialises access.

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace fabnet::comm {

class HandshakeLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // rate <= 0 disables the bucket; max_in_flight 0 disables the cap.
  HandshakeLimiter(double rate_per_second, double burst, std::size_t max_in_flight)
      : rate_(rate_per_second),
        burst_(std::max(burst, 1.0)),
        max_in_flight_(max_in_flight),
        tokens_(burst_) {}

  // True if a check may be posted now; then finished() must follow exactly once.
  bool try_begin(Clock::time_point now) {
    if (max_in_flight_ > 0 && in_flight_ >= max_in_flight_) return false;
    if (rate_ > 0) {
      if (last_ != Clock::time_point{}) {
        const std::chrono::duration<double> elapsed = now - last_;
        tokens_ = std::min(burst_, tokens_ + std::max(0.0, elapsed.count()) * rate_);
      }
      last_ = now;
      if (tokens_ < 1.0) return false;
      tokens_ -= 1.0;
    }
    ++in_flight_;
    return true;
  }
  void finished() {
    if (in_flight_ > 0) --in_flight_;
  }
  std::size_t in_flight() const { return in_flight_; }

 private:
  const double rate_;
  const double burst_;
  const std::size_t max_in_flight_;
  double tokens_;
  Clock::time_point last_{};
  std::size_t in_flight_ = 0;
};

}  // namespace fabnet::comm
