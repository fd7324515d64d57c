#include "runtime/check.h"

#include <gtest/gtest.h>

namespace fabnet::runtime {
namespace {

// Built the way CI builds Release too: the checks must not depend on NDEBUG.
TEST(CheckDeathTest, FailedCheckAbortsWithTheConditionAndPlace) {
  const int leaders = 2;
  EXPECT_DEATH(FABNET_CHECK(leaders <= 1), "CHECK failed: leaders <= 1 at .*check_test.cc");
}

TEST(Check, PassingCheckDoesNothing) {
  FABNET_CHECK(1 + 1 == 2);
  SUCCEED();
}

TEST(Check, FailedVerifyIsCountedAndRecoverable) {
  const std::uint64_t before = verify_failures();
  bool refused = false;
  if (!FABNET_VERIFY(before > before)) refused = true;
  EXPECT_TRUE(refused);
  EXPECT_EQ(verify_failures(), before + 1);
  EXPECT_TRUE(FABNET_VERIFY(true));
  EXPECT_EQ(verify_failures(), before + 1);
}

}  // namespace
}  // namespace fabnet::runtime
