#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/common.pb.h"
#include "gossip/crypto.h"
#include "ledger/block_builder.h"
#include "ledger/block_hash.h"
#include "ledger/block_verifier.h"
#include "ledger/chain.h"
#include "msp/identities.pb.h"

namespace fabnet::deliver::testing {

inline std::string make_identity(std::string_view msp_id, std::string_view name) {
  msp::SerializedIdentity id;
  id.set_mspid(std::string(msp_id));
  id.set_id_bytes(std::string(name));
  return id.SerializeAsString();
}

// Signs as one identity with a keyed tag over (identity, payload): enough to tell a
// forged or misattributed signature from a good one, not a security claim.
class TagCrypto final : public gossip::CryptoService {
 public:
  explicit TagCrypto(std::string identity) : identity_(std::move(identity)) {}
  const std::string& identity() const { return identity_; }

  static std::string tag(std::string_view identity, std::string_view payload) {
    return "tag:" + ledger::sha256(std::string(identity) + "|" + std::string(payload));
  }
  std::optional<gossip::PeerId> pki_id_of(std::string_view identity) const override {
    return ledger::sha256(identity);
  }
  std::optional<std::string> org_of(std::string_view identity) const override {
    msp::SerializedIdentity id;
    if (!id.ParseFromString(std::string(identity))) return std::nullopt;
    return id.mspid();
  }
  std::string sign(std::string_view payload) const override { return tag(identity_, payload); }
  std::string hash(std::string_view data) const override { return ledger::sha256(data); }
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

// Consecutive blocks of "mychannel", each carrying one transaction envelope and signed
// by the orderer.
class ChainMaker {
 public:
  static std::string transaction(std::uint64_t n) {
    common::ChannelHeader channel_header;
    channel_header.set_type(common::ENDORSER_TRANSACTION);
    channel_header.set_channel_id("mychannel");
    channel_header.set_tx_id("tx" + std::to_string(n));
    common::Payload payload;
    payload.mutable_header()->set_channel_header(channel_header.SerializeAsString());
    payload.set_data("opaque");
    common::Envelope envelope;
    envelope.set_payload(payload.SerializeAsString());
    envelope.set_signature("client signature");
    return envelope.SerializeAsString();
  }

  std::string next() {
    common::Block block = builder_.next({transaction(builder_.next_number())});
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
