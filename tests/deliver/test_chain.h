#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/common.pb.h"
#include "ledger/block_builder.h"
#include "ledger/block_hash.h"
#include "ledger/chain.h"
#include "msp/identities.pb.h"
#include "node/crypto.h"

namespace fabnet::deliver::testing {

inline std::string make_identity(std::string_view msp_id, std::string_view name) {
  msp::SerializedIdentity id;
  id.set_mspid(std::string(msp_id));
  id.set_id_bytes(std::string(name));
  return id.SerializeAsString();
}

// Signs as one identity with a keyed tag over (identity, payload): enough to tell a
// forged or misattributed signature from a good one, not a security claim.
class TagCrypto final : public node::CryptoService {
 public:
  explicit TagCrypto(std::string identity) : identity_(std::move(identity)) {}
  const std::string& identity() const { return identity_; }

  static std::string tag(std::string_view identity, std::string_view payload) {
    return "tag:" + ledger::sha256(std::string(identity) + "|" + std::string(payload));
  }
  std::optional<node::PeerId> pki_id_of(std::string_view identity) const override {
    return ledger::sha256(identity);
  }
  std::optional<std::string> org_of(std::string_view identity) const override {
    msp::SerializedIdentity id;
    if (!id.ParseFromString(std::string(identity))) return std::nullopt;
    return id.mspid();
  }
  std::string sign(std::string_view payload) const override { return tag(identity_, payload); }
  bool verify(std::string_view identity, std::string_view payload,
              std::string_view signature) const override {
    return signature == tag(identity, payload);
  }

 private:
  std::string identity_;
};

inline const std::string& orderer_identity() {
  static const std::string id = make_identity("OrdererMSP", "orderer0");
  return id;
}

// The stand-in for the channel's block verification (protocol.md §3.5 rules 1-5 minus
// the channel): data hash, SIGNATURES parses, and one valid signature by OrdererMSP.
inline ledger::AppendResult check_block(const common::Block& block) {
  using ledger::RefusalReason;
  if (!block.has_header() || block.metadata().metadata_size() <= common::SIGNATURES)
    return ledger::refused(RefusalReason::kMalformed, "no header or no metadata");
  if (block.header().data_hash() != ledger::data_hash(block.data()))
    return ledger::refused(RefusalReason::kWrongDataHash, "data hash");
  common::Metadata signatures;
  if (!signatures.ParseFromString(block.metadata().metadata(common::SIGNATURES)))
    return ledger::refused(RefusalReason::kMalformed, "SIGNATURES");
  TagCrypto verifier("");
  bool any = false;
  for (const auto& s : signatures.signatures()) {
    common::SignatureHeader header;
    if (!header.ParseFromString(s.signature_header())) continue;
    if (verifier.org_of(header.creator()) != "OrdererMSP") continue;
    const std::string payload =
        ledger::block_signature_payload(signatures.value(), s.signature_header(), block.header());
    if (!verifier.verify(header.creator(), payload, s.signature()))
      return ledger::refused(RefusalReason::kBadSignature, "signature does not verify");
    any = true;
  }
  if (!any) return ledger::refused(RefusalReason::kNoOrdererSignature, "no orderer signature");
  return ledger::accepted();
}

// `count` chained blocks of `channel`, each signed by the orderer.
class ChainMaker {
 public:
  std::string next() {
    common::Block block =
        builder_.next({std::string("tx") + std::to_string(builder_.next_number())});
    TagCrypto orderer(orderer_identity());
    ledger::sign_block(
        block, orderer_identity(), [&](std::string_view p) { return orderer.sign(p); }, {},
        std::string(24, 'n'));
    return block.SerializeAsString();
  }

 private:
  ledger::BlockBuilder builder_;
};

}  // namespace fabnet::deliver::testing
