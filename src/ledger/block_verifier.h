#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "common/common.pb.h"
#include "gossip/crypto.h"
#include "ledger/ledger.h"
#include "ledger/refusal_counts.h"

namespace fabnet::ledger {

using CryptoService = gossip::CryptoService;

// Checks a block received for one channel as Fabric's MCS.VerifyBlock does
// (protocol.md §3.5): header, number, channel, SIGNATURES metadata, data_hash, and at
// least one valid signature by an identity of an orderer org (the default
// /Channel/Orderer/BlockValidation policy, ANY orderer org Writers). The hash chain is
// the Ledger's check, made on append. Pure and const: safe from several threads.
class BlockVerifier {
 public:
  // Whether a creator really is a member of the org it names (e.g.
  // crypto::IdentityValidator at the current time). Unset: the org named by
  // CryptoService::org_of is trusted, as the simulator's identities are.
  using IdentityCheck = std::function<bool(std::string_view serialized_identity)>;

  BlockVerifier(std::string channel, std::set<std::string, std::less<>> orderer_msp_ids,
                const CryptoService& crypto, IdentityCheck identity_check = {});

  // Accepted, or refused with the first failing rule's reason; refusals are counted.
  AppendResult verify(const common::Block& block, std::uint64_t expected_number) const;

  const std::string& channel() const { return channel_; }
  RefusalCounts refusals() const { return refusals_.snapshot(); }

 private:
  AppendResult check(const common::Block& block, std::uint64_t expected_number) const;
  AppendResult check_signatures(const common::Block& block, const common::Metadata& metadata) const;

  std::string channel_;
  std::set<std::string, std::less<>> orderer_msp_ids_;
  const CryptoService& crypto_;
  IdentityCheck identity_check_;
  mutable RefusalCounter refusals_;
};

// Verifies `block` as the next block of `ledger` (number = ledger.height()) and appends
// it if it passes. `bytes` is the block as received; it is stored as is.
AppendResult verify_and_append(const BlockVerifier& verifier, Ledger& ledger,
                               const common::Block& block, std::string_view bytes);

}  // namespace fabnet::ledger
