#include "alloc_counter.h"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace fabnet::bench {
namespace {

std::atomic<bool> counting{false};
std::atomic<std::int64_t> live_bytes{0};
std::atomic<std::int64_t> live_blocks{0};

// Usable size rather than the requested size: that is what the block really
// occupies (minus glibc's 8-byte chunk header), and free() needs no size.
void* counted_alloc(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p != nullptr && counting.load(std::memory_order_relaxed)) {
    live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)),
                         std::memory_order_relaxed);
    live_blocks.fetch_add(1, std::memory_order_relaxed);
  }
  return p;
}

void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  if (counting.load(std::memory_order_relaxed)) {
    live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)),
                         std::memory_order_relaxed);
    live_blocks.fetch_sub(1, std::memory_order_relaxed);
  }
  std::free(p);
}

}  // namespace

void start_heap_counting() {
  live_bytes = 0;
  live_blocks = 0;
  counting = true;
}

HeapStats stop_heap_counting() {
  counting = false;
  return {live_bytes.load(), live_blocks.load()};
}

}  // namespace fabnet::bench

// Replacements of the global allocation functions (the aligned overloads keep
// their default, which nothing measured here uses).
void* operator new(std::size_t size) {
  if (void* p = fabnet::bench::counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = fabnet::bench::counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return fabnet::bench::counted_alloc(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return fabnet::bench::counted_alloc(size);
}
void operator delete(void* p) noexcept {
  fabnet::bench::counted_free(p);
}
void operator delete[](void* p) noexcept {
  fabnet::bench::counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  fabnet::bench::counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  fabnet::bench::counted_free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  fabnet::bench::counted_free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  fabnet::bench::counted_free(p);
}
