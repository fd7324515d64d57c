#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "crypto/certificate.h"
#include "crypto/result.h"

namespace fabnet::crypto {

// An ECDSA public key (P-256 or P-384, the curves Fabric's software BCCSP knows).
class PublicKey {
 public:
  static Result<PublicKey> from_certificate(const Certificate& certificate);

  EVP_PKEY* get() const { return key_.get(); }

 private:
  friend class Signer;
  friend Status verify_signature(const PublicKey&, std::string_view, std::string_view);
  explicit PublicKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// Fabric's verification (protocol.md §3.2): `signature` must be canonical DER
// with r, s > 0; a high-S signature (s > N/2) is refused outright, before the
// ECDSA check over SHA-256(payload).
Status verify_signature(const PublicKey& key, std::string_view payload, std::string_view signature);

// The local signing key: ECDSA P-256 over SHA-256 of the payload, DER, low-S
// (protocol.md §3.2). Copies share the key; sign() may run on several threads.
class Signer {
 public:
  // A PKCS#8 "PRIVATE KEY" PEM, as in a Fabric keystore's priv_sk file.
  static Result<Signer> from_pkcs8_pem(std::string_view pem);

  std::string sign(std::string_view payload) const;
  PublicKey public_key() const { return PublicKey(key_); }
  // True when `certificate` carries this key's public half.
  bool matches(const Certificate& certificate) const;

 private:
  explicit Signer(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

}  // namespace fabnet::crypto
