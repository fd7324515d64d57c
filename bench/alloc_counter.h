#pragma once

#include <cstdint>

namespace fabnet::bench {

// Heap use seen by the replaced global operator new/delete of the bench binary.
// Counting is off by default so the timing benchmarks pay only one relaxed load.
struct HeapStats {
  std::int64_t live_bytes = 0;   // malloc_usable_size of blocks allocated minus freed
  std::int64_t live_blocks = 0;  // blocks allocated minus blocks freed
};

void start_heap_counting();
// Stops counting and returns what changed since start_heap_counting().
HeapStats stop_heap_counting();

}  // namespace fabnet::bench
