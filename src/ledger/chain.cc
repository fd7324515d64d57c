#include "ledger/chain.h"

#include <fmt/format.h>

namespace fabnet::ledger {
namespace {

std::string hex_prefix(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < 8; ++i) {
    out += fmt::format("{:02x}", static_cast<unsigned char>(bytes[i]));
  }
  return out.empty() ? "(empty)" : out + (bytes.size() > 8 ? "…" : "");
}

}  // namespace

AppendResult check_chain_link(const common::Block& block, std::uint64_t height,
                              std::string_view last_header_hash) {
  if (!block.has_header()) return refused(RefusalReason::kMalformed, "block has no header");
  const auto& header = block.header();
  if (header.number() != height) {
    return refused(
        RefusalReason::kWrongNumber,
        fmt::format("block number {} but the next block is {}", header.number(), height));
  }
  if (header.previous_hash() != last_header_hash) {
    return refused(RefusalReason::kBrokenHashChain,
                   fmt::format("block {} previous_hash {} but block {} hashes to {}",
                               header.number(), hex_prefix(header.previous_hash()),
                               height == 0 ? 0 : height - 1, hex_prefix(last_header_hash)));
  }
  return accepted();
}

}  // namespace fabnet::ledger
