#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/common.pb.h"
#include "gossip/crypto.h"
#include "ledger/block_builder.h"
#include "ledger/block_hash.h"
#include "msp/identities.pb.h"

// Test doubles for block verification: identities that name their org, signatures
// that only the named signer can produce, and envelopes for a channel.

namespace fabnet::ledger::testing {

inline std::string identity_of(std::string_view msp_id, std::string_view name) {
  msp::SerializedIdentity identity;
  identity.set_mspid(std::string(msp_id));
  identity.set_id_bytes(std::string(name));
  return identity.SerializeAsString();
}

// signature = "sig:" + serialized identity + SHA-256(payload): deterministic and bound to
// both the signer and the exact bytes.
class FakeBlockCrypto final : public gossip::CryptoService {
 public:
  static std::string signature(std::string_view identity, std::string_view payload) {
    return "sig:" + std::string(identity) + sha256(payload);
  }
  static SignFunction signer_for(std::string identity) {
    return [identity](std::string_view payload) { return signature(identity, payload); };
  }

  std::optional<gossip::PeerId> pki_id_of(std::string_view identity) const override {
    return std::string(identity);
  }
  std::optional<std::string> org_of(std::string_view identity) const override {
    msp::SerializedIdentity parsed;
    if (!parsed.ParseFromArray(identity.data(), static_cast<int>(identity.size()))) {
      return std::nullopt;
    }
    return parsed.mspid();
  }
  std::string sign(std::string_view) const override { return {}; }
  bool verify(std::string_view identity, std::string_view payload,
              std::string_view signature_bytes) const override {
    ++verifications;
    return signature_bytes == signature(identity, payload);
  }
  std::string hash(std::string_view data) const override { return sha256(data); }
  mutable int verifications = 0;
};

// A marshaled common.Envelope whose ChannelHeader names `channel`; its payload data is `body`.
inline std::string envelope_for(std::string_view channel, std::string_view body) {
  common::ChannelHeader channel_header;
  channel_header.set_type(common::ENDORSER_TRANSACTION);
  channel_header.set_channel_id(std::string(channel));
  common::Payload payload;
  payload.mutable_header()->set_channel_header(channel_header.SerializeAsString());
  payload.set_data(std::string(body));
  common::Envelope envelope;
  envelope.set_payload(payload.SerializeAsString());
  envelope.set_signature("client-signature");
  return envelope.SerializeAsString();
}

}  // namespace fabnet::ledger::testing
