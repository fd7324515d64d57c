#pragma once

#include <string>

#include "common/common.pb.h"
#include "crypto/identity.h"
#include "gossip/crypto.h"
#include "ledger/block_builder.h"
#include "ledger/block_hash.h"
#include "ledger/ledger.h"

namespace fabnet::orderer::testing {

// "" when the chain in `ledger` holds protocol.md §3.5 for every block: numbers,
// previous_hash chain, data_hash, and a SIGNATURES signature by an `orderer_msp`
// identity that verifies. Otherwise the first problem.
inline std::string check_chain(const ledger::Ledger& ledger, const gossip::CryptoService& crypto,
                               const std::string& orderer_msp) {
  std::string previous;
  for (std::uint64_t n = 0; n < ledger.height(); ++n) {
    common::Block block;
    if (!block.ParseFromString(*ledger.block_bytes(n))) return "block does not parse";
    const auto& h = block.header();
    if (h.number() != n) return "wrong number at " + std::to_string(n);
    if (h.previous_hash() != previous) return "broken chain at " + std::to_string(n);
    if (h.data_hash() != ledger::data_hash(block.data()))
      return "bad data hash at " + std::to_string(n);
    if (block.metadata().metadata_size() < 5) return "metadata entries missing";
    common::Metadata signatures;
    if (!signatures.ParseFromString(block.metadata().metadata(common::SIGNATURES))) {
      return "SIGNATURES does not parse";
    }
    if (signatures.signatures_size() != 1) return "expected one signature";
    const auto& s = signatures.signatures(0);
    common::SignatureHeader sh;
    if (!sh.ParseFromString(s.signature_header())) return "signature header does not parse";
    auto id = crypto::parse_identity(sh.creator());
    if (!id || id->msp_id != orderer_msp) return "signer is not of the orderer org";
    const std::string payload =
        ledger::block_signature_payload(signatures.value(), s.signature_header(), h);
    if (!crypto.verify(sh.creator(), payload, s.signature())) {
      return "signature does not verify at " + std::to_string(n);
    }
    previous = ledger::header_hash(h);
  }
  return "";
}

}  // namespace fabnet::orderer::testing
