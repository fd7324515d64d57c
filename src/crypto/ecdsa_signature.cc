#include "crypto/ecdsa_signature.h"

#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

namespace fabnet::crypto::detail {

namespace {

// The groups live for the whole process: curve constants, built once.
const BIGNUM* order_of_curve(int nid) {
  static const EcGroupPtr p384(EC_GROUP_new_by_curve_name(NID_secp384r1));
  const EC_GROUP* group = nid == NID_X9_62_prime256v1 ? p256_group()
                          : nid == NID_secp384r1      ? p384.get()
                                                      : nullptr;
  return group == nullptr ? nullptr : EC_GROUP_get0_order(group);
}

}  // namespace

const EC_GROUP* p256_group() {
  static const EcGroupPtr p256(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  return p256.get();
}

bool is_p256(const EVP_PKEY* key) {
  const BIGNUM* order = curve_order(key);
  return order != nullptr && order == EC_GROUP_get0_order(p256_group());
}

const BIGNUM* curve_order(const EVP_PKEY* key) {
  if (key == nullptr || !EVP_PKEY_is_a(key, "EC")) return nullptr;
  char name[64] = {};
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &length) !=
      1) {
    take_openssl_errors();
    return nullptr;
  }
  return order_of_curve(OBJ_sn2nid(name));
}

EcdsaSigPtr parse_signature(std::string_view der) {
  const unsigned char* cursor = bytes_of(der);
  EcdsaSigPtr signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!signature) {
    take_openssl_errors();
    return nullptr;
  }
  if (cursor != bytes_of(der) + der.size()) return nullptr;
  // d2i tolerates some BER; Fabric's Go decoder is strict DER. Re-encoding must
  // give back the same bytes.
  unsigned char* encoded = nullptr;
  const int length = i2d_ECDSA_SIG(signature.get(), &encoded);
  const bool canonical = length > 0 && std::string_view(reinterpret_cast<const char*>(encoded),
                                                        static_cast<std::size_t>(length)) == der;
  OPENSSL_free(encoded);
  if (!canonical) return nullptr;
  const BIGNUM* r = ECDSA_SIG_get0_r(signature.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(signature.get());
  if (BN_is_zero(r) || BN_is_negative(r) || BN_is_zero(s) || BN_is_negative(s)) return nullptr;
  return signature;
}

bool is_low_s(const ECDSA_SIG* signature, const BIGNUM* order) {
  BignumPtr half(BN_dup(order));
  if (!half || BN_rshift1(half.get(), half.get()) != 1) throw std::bad_alloc();
  return BN_cmp(ECDSA_SIG_get0_s(signature), half.get()) <= 0;
}

std::string to_low_s_der(const ECDSA_SIG* signature, const BIGNUM* order) {
  BignumPtr r(BN_dup(ECDSA_SIG_get0_r(signature)));
  BignumPtr s(BN_dup(ECDSA_SIG_get0_s(signature)));
  if (!r || !s) throw std::bad_alloc();
  if (!is_low_s(signature, order) && BN_sub(s.get(), order, s.get()) != 1) {
    throw std::runtime_error("N - s failed: " + take_openssl_errors());
  }
  EcdsaSigPtr low(ECDSA_SIG_new());
  if (!low || ECDSA_SIG_set0(low.get(), r.get(), s.get()) != 1) throw std::bad_alloc();
  static_cast<void>(r.release());  // owned by `low` now
  static_cast<void>(s.release());
  unsigned char* encoded = nullptr;
  const int length = i2d_ECDSA_SIG(low.get(), &encoded);
  if (length <= 0) throw std::runtime_error("DER encoding failed: " + take_openssl_errors());
  std::string out(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(length));
  OPENSSL_free(encoded);
  return out;
}

}  // namespace fabnet::crypto::detail
