#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/common.pb.h"

namespace fabnet::ledger {

// Signs bytes as the holder of an identity (e.g. CryptoService::sign bound to the orderer).
using SignFunction = std::function<std::string(std::string_view payload)>;

// Block `number` carrying `envelopes` (each a marshaled common.Envelope), chained to
// `previous_hash`, with data_hash set and metadata entries SIGNATURES..COMMIT_HASH
// (0..4) present and empty, as in Fabric's blocks.
common::Block make_block(std::uint64_t number, std::string_view previous_hash,
                         std::vector<std::string> envelopes);

// Adds a signature by `signer_identity` (a marshaled msp.SerializedIdentity) to
// metadata[SIGNATURES] the way protocol.md §3.5 verifies it: the signed bytes are
// metadata.value || signature_header || DER(header), signature_header being a marshaled
// SignatureHeader{creator = signer_identity, nonce}. `metadata_value` (Fabric's orderer
// puts a marshaled OrdererBlockMetadata there) replaces the value only when the block
// has no signature yet; later signers sign the value already present. An empty `nonce`
// draws 24 random bytes, as Fabric does.
void sign_block(common::Block& block, std::string_view signer_identity, const SignFunction& sign,
                std::string_view metadata_value = {}, std::string nonce = {});

// The bytes a SIGNATURES signature covers (protocol.md §3.5 rule 5).
std::string block_signature_payload(std::string_view metadata_value,
                                    std::string_view signature_header,
                                    const common::BlockHeader& header);

// 24 bytes from OpenSSL's CSPRNG.
std::string random_nonce();

// Cuts consecutive blocks of one chain: remembers the next number and the last header
// hash. For the orderer and for tests that need a valid chain.
class BlockBuilder {
 public:
  explicit BlockBuilder(std::uint64_t next_number = 0, std::string previous_hash = {})
      : next_number_(next_number), previous_hash_(std::move(previous_hash)) {}

  // The next block of the chain (unsigned); advances the chain.
  common::Block next(std::vector<std::string> envelopes);

  std::uint64_t next_number() const { return next_number_; }
  const std::string& previous_hash() const { return previous_hash_; }

 private:
  std::uint64_t next_number_;
  std::string previous_hash_;
};

}  // namespace fabnet::ledger
