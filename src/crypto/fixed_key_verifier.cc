#include "crypto/fixed_key_verifier.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <string>
#include <utility>

#include <openssl/core_names.h>
#include <openssl/ec.h>

#include "crypto/ecdsa_signature.h"
#include "crypto/openssl_handles.h"
#include "crypto/precompute_multiples.h"

namespace fabnet::crypto::detail {

namespace {

BN_CTX* thread_bn_ctx() {
  thread_local const BnCtxPtr context(BN_CTX_new());
  return context.get();
}

// The key's public point Q in uncompressed form, or "" if it is not a P-256 key.
std::string p256_public_point(const EVP_PKEY* key) {
  unsigned char point[133];
  std::size_t point_length = 0;
  const bool ok =
      is_p256(key) && EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point,
                                                      sizeof point, &point_length) == 1;
  take_openssl_errors();  // nothing to report: a failure here only means "no table"
  return ok ? std::string(reinterpret_cast<const char*>(point), point_length) : std::string();
}

std::unique_ptr<const FixedKeyVerifier> make_for_point(const std::string& encoded_point) {
  const EC_GROUP* p256 = p256_group();
  if (encoded_point.empty() || p256 == nullptr) return nullptr;
  BN_CTX* context = thread_bn_ctx();
  EcPointPtr q(EC_POINT_new(p256));
  EcGroupPtr key_as_generator(EC_GROUP_dup(p256));
  // oct2point refuses a point off the curve; Q ≠ O for a key from a certificate.
  const bool ok = q && key_as_generator && context != nullptr &&
                  EC_POINT_oct2point(p256, q.get(), bytes_of(encoded_point), encoded_point.size(),
                                     context) == 1 &&
                  EC_POINT_is_at_infinity(p256, q.get()) == 0 &&
                  EC_GROUP_set_generator(key_as_generator.get(), q.get(), EC_GROUP_get0_order(p256),
                                         EC_GROUP_get0_cofactor(p256)) == 1 &&
                  precompute_generator_multiples(key_as_generator.get(), context);
  take_openssl_errors();  // nothing to report: a failure here only means "no table"
  if (!ok) return nullptr;
  return std::make_unique<const FixedKeyVerifier>(key_as_generator.release());
}

}  // namespace

std::unique_ptr<const FixedKeyVerifier> FixedKeyVerifier::make(const EVP_PKEY* key) {
  return make_for_point(p256_public_point(key));
}

FixedKeyVerifier::~FixedKeyVerifier() {
  EC_GROUP_free(key_as_generator_);
}

bool FixedKeyVerifier::verify(std::string_view digest, const ECDSA_SIG* signature) const {
  if (digest.size() != 32 || signature == nullptr) return false;
  const EC_GROUP* curve = p256_group();
  const BIGNUM* order = EC_GROUP_get0_order(curve);
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature, &r, &s);
  // 1 <= r, s < n.
  if (BN_is_zero(r) || BN_is_negative(r) || BN_cmp(r, order) >= 0 || BN_is_zero(s) ||
      BN_is_negative(s) || BN_cmp(s, order) >= 0) {
    return false;
  }
  BN_CTX* context = thread_bn_ctx();
  if (context == nullptr) return false;
  BN_CTX_start(context);
  BIGNUM* e = BN_CTX_get(context);
  BIGNUM* w = BN_CTX_get(context);
  BIGNUM* u1 = BN_CTX_get(context);
  BIGNUM* u2 = BN_CTX_get(context);
  BIGNUM* x = BN_CTX_get(context);
  EcPointPtr from_g(EC_POINT_new(curve));
  EcPointPtr from_q(EC_POINT_new(curve));
  // e is the whole digest: SHA-256 is as long as P-256's order, nothing to cut.
  // w = s⁻¹, u1 = e·w, u2 = r·w (mod n); R = u1·G + u2·Q; valid iff x(R) ≡ r (mod n).
  const bool valid =
      x != nullptr && from_g && from_q &&
      BN_bin2bn(bytes_of(digest), static_cast<int>(digest.size()), e) != nullptr &&
      BN_mod_inverse(w, s, order, context) != nullptr &&
      BN_mod_mul(u1, e, w, order, context) == 1 && BN_mod_mul(u2, r, w, order, context) == 1 &&
      EC_POINT_mul(curve, from_g.get(), u1, nullptr, nullptr, context) == 1 &&
      EC_POINT_mul(key_as_generator_, from_q.get(), u2, nullptr, nullptr, context) == 1 &&
      EC_POINT_add(curve, from_g.get(), from_g.get(), from_q.get(), context) == 1 &&
      EC_POINT_is_at_infinity(curve, from_g.get()) == 0 &&
      EC_POINT_get_affine_coordinates(curve, from_g.get(), x, nullptr, context) == 1 &&
      BN_nnmod(x, x, order, context) == 1 && BN_cmp(x, r) == 0;
  BN_CTX_end(context);
  take_openssl_errors();  // a refusal is the answer; OpenSSL's reasons add nothing
  return valid;
}

std::shared_ptr<const FixedKeyVerifier> shared_fixed_key_verifier(const EVP_PKEY* key) {
  const std::string point = p256_public_point(key);
  if (point.empty()) return nullptr;
  static std::mutex mutex;
  // Oldest first. Built under the lock: two threads that reach the same new key
  // build its table once, and a build is rare (a key used often, or evicted).
  static std::deque<std::pair<std::string, std::shared_ptr<const FixedKeyVerifier>>> verifiers;
  std::lock_guard lock(mutex);
  auto it = std::find_if(verifiers.begin(), verifiers.end(),
                         [&point](const auto& entry) { return entry.first == point; });
  if (it != verifiers.end()) return it->second;
  std::shared_ptr<const FixedKeyVerifier> made = make_for_point(point);
  if (!made) return nullptr;
  if (verifiers.size() >= kMaxFixedKeyVerifiers) verifiers.pop_front();
  verifiers.emplace_back(point, made);
  return made;
}

}  // namespace fabnet::crypto::detail
