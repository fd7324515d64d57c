#include "crypto/x509_crypto_service.h"

#include "crypto/identity.h"
#include "crypto/openssl_handles.h"

namespace fabnet::crypto {

X509CryptoService::X509CryptoService(const LocalMsp& local)
    : identity_(local.identity),
      pki_id_(crypto::pki_id(identity_).value()),
      signer_(local.signer) {}

std::optional<gossip::PeerId> X509CryptoService::pki_id_of(std::string_view identity) const {
  if (!public_key_of(identity)) return std::nullopt;  // also well-formedness, cached
  return crypto::pki_id(identity).value();
}

std::optional<std::string> X509CryptoService::org_of(std::string_view identity) const {
  auto parsed = parse_identity(identity);
  if (!parsed) return std::nullopt;
  return std::move(parsed).value().msp_id;
}

std::string X509CryptoService::sign(std::string_view payload) const {
  return signer_.sign(payload);
}

bool X509CryptoService::verify(std::string_view identity, std::string_view payload,
                               std::string_view signature) const {
  const std::optional<PublicKey> key = public_key_of(identity);
  return key && verify_signature(*key, payload, signature).ok();
}

std::optional<PublicKey> X509CryptoService::public_key_of(std::string_view identity) const {
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = public_keys_.find(identity); it != public_keys_.end()) {
      return it->second;
    }
  }
  auto parsed = parse_identity(identity);
  if (!parsed) return std::nullopt;
  auto certificate = certificate_of(*parsed);
  if (!certificate) return std::nullopt;
  auto key = PublicKey::from_certificate(*certificate);
  if (!key) return std::nullopt;
  std::lock_guard lock(cache_mutex_);
  if (public_keys_.size() >= kMaxCachedKeys) public_keys_.clear();
  public_keys_.emplace(std::string(identity), key.value());
  return std::move(key).value();
}

std::string X509CryptoService::hash(std::string_view data) const {
  return detail::sha256(data);
}

}  // namespace fabnet::crypto
