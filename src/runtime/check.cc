#include "runtime/check.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace fabnet::runtime {

namespace {
std::atomic<std::uint64_t> g_verify_failures{0};
// Beyond this many, failures are only counted: a breach in a hot path must not flood stderr.
constexpr std::uint64_t kVerifyFailuresLogged = 16;
}  // namespace

// stderr, not the logging library: this layer has none, and the line must
// get out even when logging is what broke.
void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "fabnet: CHECK failed: %s at %s:%d\n", condition, file, line);
  std::fflush(stderr);
  std::abort();
}

bool verify_failed(const char* condition, const char* file, int line) {
  const std::uint64_t n = g_verify_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n <= kVerifyFailuresLogged)
    std::fprintf(stderr, "fabnet: VERIFY failed (%llu so far): %s at %s:%d\n",
                 static_cast<unsigned long long>(n), condition, file, line);
  return false;
}

std::uint64_t verify_failures() {
  return g_verify_failures.load(std::memory_order_relaxed);
}

}  // namespace fabnet::runtime
