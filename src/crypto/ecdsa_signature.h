#pragma once

// ECDSA signature values (DER SEQUENCE{INTEGER r, INTEGER s}) and Fabric's low-S
// rule (protocol.md §3.2). Internal to src/crypto.

#include <string>
#include <string_view>

#include "crypto/openssl_handles.h"

namespace fabnet::crypto::detail {

// Order N of the curve of an EC key; nullptr unless the key is on P-256 or P-384,
// the curves Fabric's software BCCSP handles.
const BIGNUM* curve_order(const EVP_PKEY* key);

// The process's P-256 group (curve constants, built once; read-only, any thread).
const EC_GROUP* p256_group();

// True when `key` is an EC key on P-256.
bool is_p256(const EVP_PKEY* key);

// The (r, s) of a signature, or null unless `der` is exactly the canonical DER
// encoding of a SEQUENCE of two positive INTEGERs, nothing before or after.
EcdsaSigPtr parse_signature(std::string_view der);

// s <= N/2 (Go's IsLowS compares with N >> 1).
bool is_low_s(const ECDSA_SIG* signature, const BIGNUM* order);

// `signature` with s replaced by N - s when s > N/2, DER-encoded.
std::string to_low_s_der(const ECDSA_SIG* signature, const BIGNUM* order);

}  // namespace fabnet::crypto::detail
