#pragma once

// Independent reference computations for the tests: straight OpenSSL calls, not
// the code under test.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

namespace fabnet::crypto::testing {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

inline void write_text(const std::filesystem::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string reference_sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// Order of P-256 (FIPS 186-4 D.1.2.3).
inline constexpr const char* kP256OrderHex =
    "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";

struct SignatureParts {
  BIGNUM* r = nullptr;  // owned
  BIGNUM* s = nullptr;  // owned
  ~SignatureParts() {
    BN_free(r);
    BN_free(s);
  }
};

inline bool decode_signature(std::string_view der, SignatureParts& parts) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size()));
  if (sig == nullptr) return false;
  parts.r = BN_dup(ECDSA_SIG_get0_r(sig));
  parts.s = BN_dup(ECDSA_SIG_get0_s(sig));
  ECDSA_SIG_free(sig);
  return true;
}

inline std::string encode_signature(const BIGNUM* r, const BIGNUM* s) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_dup(r), BN_dup(s));
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

inline BIGNUM* p256_order() {
  BIGNUM* order = nullptr;
  BN_hex2bn(&order, kP256OrderHex);
  return order;
}

// The same signature with s replaced by N - s: still a valid ECDSA signature.
inline std::string flip_s(std::string_view der) {
  SignatureParts parts;
  if (!decode_signature(der, parts)) return {};
  BIGNUM* order = p256_order();
  BIGNUM* flipped = BN_new();
  BN_sub(flipped, order, parts.s);
  std::string out = encode_signature(parts.r, flipped);
  BN_free(flipped);
  BN_free(order);
  return out;
}

inline bool is_low_s(std::string_view der) {
  SignatureParts parts;
  if (!decode_signature(der, parts)) return false;
  BIGNUM* half = p256_order();
  BN_rshift1(half, half);
  const bool low = BN_cmp(parts.s, half) <= 0;
  BN_free(half);
  return low;
}

}  // namespace fabnet::crypto::testing
