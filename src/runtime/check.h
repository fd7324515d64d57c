#pragma once

// Checks that stay on in every build type (NDEBUG or not), for protocol
// invariants whose breach in production must not pass silently. `assert` stays
// for internal conditions that are cheap to get right and costly to check.
//
//   FABNET_CHECK(cond)   cond false: log to stderr with the place, then abort.
//                        For states the code cannot continue from safely.
//   FABNET_VERIFY(cond)  cond false: log to stderr (first few times), count, and
//                        evaluate to false so the caller can refuse the step.
//                        For breaches the caller can recover from.

#include <cstdint>

namespace fabnet::runtime {

[[noreturn]] void check_failed(const char* condition, const char* file, int line);
bool verify_failed(const char* condition, const char* file, int line);
// FABNET_VERIFY failures since process start (all threads).
std::uint64_t verify_failures();

}  // namespace fabnet::runtime

#define FABNET_CHECK(condition)       \
  ((condition) ? static_cast<void>(0) \
               : ::fabnet::runtime::check_failed(#condition, __FILE__, __LINE__))
#define FABNET_VERIFY(condition) \
  ((condition) || ::fabnet::runtime::verify_failed(#condition, __FILE__, __LINE__))
