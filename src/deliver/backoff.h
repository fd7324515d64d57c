#pragma once

#include <chrono>

#include "runtime/scheduler.h"

namespace fabnet::deliver {

// The sleep before reconnecting after `failures` (>= 1) consecutive failures
// (protocol.md §10.1): 1.2^(failures-1) x 100 ms truncated to whole milliseconds;
// `max_delay` (reConnectBackoffThreshold) once the exponent passes
// log(max_delay / 100 ms) / log(1.2), as Fabric decides it (57 for the 3600 s default).
runtime::Duration reconnect_delay(int failures, runtime::Duration max_delay);

}  // namespace fabnet::deliver
