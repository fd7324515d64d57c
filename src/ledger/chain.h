#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/common.pb.h"
#include "ledger/ledger.h"

namespace fabnet::ledger {

inline AppendResult accepted() {
  return {};
}
inline AppendResult refused(RefusalReason reason, std::string detail) {
  return AppendResult{false, reason, std::move(detail)};
}

// The checks every Ledger makes before appending: a header is present, its number is
// `height` and its previous_hash is `last_header_hash` (empty for block 0, as Fabric's
// genesis block carries no previous hash).
AppendResult check_chain_link(const common::Block& block, std::uint64_t height,
                              std::string_view last_header_hash);

}  // namespace fabnet::ledger
