#include <absl/synchronization/mutex.h>

#include <iostream>

#include "cli/app.h"

int main(int argc, char** argv) {
  // gRPC's locks are absl::Mutex, and Debian's absl is built with lock-order
  // checking on: every lock then updates one process-wide graph under a global lock
  // (2-5 % of a busy peer's CPU, and contention between gRPC's threads). That is a
  // debugging aid, not something a daemon should pay for.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return fabnet::cli::run_fabnet(argc, argv, std::cout, std::cerr);
}
