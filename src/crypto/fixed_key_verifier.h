#pragma once

// ECDSA P-256 verification against one public key that is checked over and over
// (a Broadcast client's key, the orderer's block key, a peer's gossip key).
// Internal to src/crypto.
//
// A verify computes u1·G + u2·Q. OpenSSL keeps a table of multiples of the curve's
// generator G, so u1·G is cheap; u2·Q is a full variable-point multiplication and
// most of the cost. Here Q gets a table of its own: the key is made the generator
// of a copy of the curve, whose multiples OpenSSL precomputes once. A verify then
// takes two table lookups and costs about 60 % of EVP_PKEY_verify; building the
// table costs about 400 verifies, so only keys that were used often get one.

#include <cstddef>
#include <memory>
#include <string_view>

#include <openssl/ec.h>

namespace fabnet::crypto::detail {

class FixedKeyVerifier {
 public:
  // The verifier for a P-256 key, with its table; nullptr for another curve or if
  // OpenSSL cannot build the table (the caller then verifies the usual way).
  static std::unique_ptr<const FixedKeyVerifier> make(const EVP_PKEY* key);
  // Takes `key_as_generator`: P-256 with Q as generator and Q's multiples precomputed.
  explicit FixedKeyVerifier(EC_GROUP* key_as_generator) : key_as_generator_(key_as_generator) {}
  ~FixedKeyVerifier();
  FixedKeyVerifier(const FixedKeyVerifier&) = delete;
  FixedKeyVerifier& operator=(const FixedKeyVerifier&) = delete;

  // SEC 1 §4.1.4: true iff `signature` is a valid ECDSA signature of the 32-byte
  // `digest` (SHA-256) under this key. Safe on several threads at once.
  bool verify(std::string_view digest, const ECDSA_SIG* signature) const;

 private:
  EC_GROUP* key_as_generator_;  // P-256 with Q as its generator, multiples of Q precomputed
};

// The process's verifier for `key` (shared by every thread), built on first request,
// or nullptr as FixedKeyVerifier::make. At most kMaxFixedKeyVerifiers are kept (about
// 150 KB each); the oldest is dropped for a new one, and the threads holding it keep
// it until they let go.
inline constexpr std::size_t kMaxFixedKeyVerifiers = 16;
std::shared_ptr<const FixedKeyVerifier> shared_fixed_key_verifier(const EVP_PKEY* key);

}  // namespace fabnet::crypto::detail
