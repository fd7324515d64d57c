#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/openssl_handles.h"
#include "gossip/crypto.h"
#include "msp/identities.pb.h"

// Test doubles shared by the comm tests.

namespace fabnet::comm {

// Serialized msp.SerializedIdentity{Org1MSP, id_bytes = name}.
inline std::string identity_of(const std::string& name) {
  msp::SerializedIdentity identity;
  identity.set_mspid("Org1MSP");
  identity.set_id_bytes(name);
  return identity.SerializeAsString();
}

// Deterministic stand-in for X.509: PKI-ID = id_bytes, signature = tag(signer, payload).
class FakeCrypto final : public gossip::CryptoService {
 public:
  explicit FakeCrypto(std::string name) : name_(std::move(name)) {}

  static std::string tag(std::string_view signer, std::string_view payload) {
    return "signed-by:" + std::string(signer) + ":" +
           std::to_string(std::hash<std::string_view>{}(payload));
  }

  std::optional<PeerId> pki_id_of(std::string_view identity) const override {
    msp::SerializedIdentity parsed;
    if (!parsed.ParseFromArray(identity.data(), static_cast<int>(identity.size())) ||
        parsed.id_bytes().empty()) {
      return std::nullopt;
    }
    return parsed.id_bytes();
  }
  std::optional<std::string> org_of(std::string_view identity) const override {
    msp::SerializedIdentity parsed;
    if (!parsed.ParseFromArray(identity.data(), static_cast<int>(identity.size()))) {
      return std::nullopt;
    }
    return parsed.mspid();
  }
  std::string sign(std::string_view payload) const override { return tag(name_, payload); }
  bool verify(std::string_view identity, std::string_view payload,
              std::string_view signature) const override {
    const auto signer = pki_id_of(identity);
    return signer && signature == tag(*signer, payload);
  }
  std::string hash(std::string_view data) const override { return crypto::detail::sha256(data); }

 private:
  std::string name_;
};

}  // namespace fabnet::comm
