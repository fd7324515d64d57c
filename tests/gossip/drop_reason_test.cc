#include "gossip/drop_reason.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

namespace fabnet::gossip {
namespace {

TEST(DropReason, NamesAreDistinctMetricLabelsAndRoundTrip) {
  std::set<std::string> names;
  for (DropReason reason : all_drop_reasons()) {
    const std::string name(drop_reason_name(reason));
    EXPECT_TRUE(std::regex_match(name, std::regex("[a-z][a-z_]*"))) << name;
    EXPECT_TRUE(names.insert(name).second) << "duplicate " << name;
    EXPECT_EQ(drop_reason_from_name(name), reason) << name;
  }
  EXPECT_EQ(drop_reason_from_name("no_such_reason"), std::nullopt);
}

TEST(DropReason, ForgeriesAreRejectionsAndNormalLossIsNot) {
  EXPECT_TRUE(is_rejection(DropReason::kBadSignature));
  EXPECT_TRUE(is_rejection(DropReason::kSenderOtherOrg));
  EXPECT_TRUE(is_rejection(DropReason::kBadMac));
  EXPECT_TRUE(is_rejection(DropReason::kOversizeList));
  EXPECT_TRUE(is_rejection(DropReason::kHandshakeBadSignature));
  EXPECT_FALSE(is_rejection(DropReason::kStale));
  EXPECT_FALSE(is_rejection(DropReason::kQueueFull));
  EXPECT_FALSE(is_rejection(DropReason::kSenderNotInView));
}

// The rows of the table whose header is "| `reason` | logged | …" in
// docs/operations.md, as (name, logged).
std::map<std::string, bool> documented_reasons() {
  std::ifstream doc(FABNET_OPERATIONS_DOC);
  EXPECT_TRUE(doc) << "cannot open " << FABNET_OPERATIONS_DOC;
  std::map<std::string, bool> rows;
  const std::regex row(R"(^\| `([a-z_]+)` \| (warn|—) \|.*)");
  bool in_table = false;
  for (std::string line; std::getline(doc, line);) {
    if (line.starts_with("| `reason` |")) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (!line.starts_with("|")) break;
    if (line.starts_with("|---")) continue;
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, row)) << "unexpected row: " << line;
    if (!m.empty()) {
      EXPECT_TRUE(rows.emplace(m[1], m[2] == "warn").second) << "twice: " << m[1];
    }
  }
  return rows;
}

TEST(DropReason, OperationsGuideListsExactlyTheReasonsTheCodeEmits) {
  const std::map<std::string, bool> documented = documented_reasons();
  std::map<std::string, bool> emitted;
  for (DropReason reason : all_drop_reasons())
    emitted.emplace(std::string(drop_reason_name(reason)), is_rejection(reason));
  for (const auto& [name, logged] : emitted) {
    const auto it = documented.find(name);
    if (it == documented.end()) {
      ADD_FAILURE() << "docs/operations.md does not list drop reason " << name;
      continue;
    }
    EXPECT_EQ(it->second, logged) << name << ": the \"logged\" column disagrees with is_rejection";
  }
  for (const auto& [name, logged] : documented)
    EXPECT_TRUE(emitted.contains(name))
        << "docs/operations.md lists " << name << ", which the code never emits";
}

}  // namespace
}  // namespace fabnet::gossip
