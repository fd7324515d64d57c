#pragma once

// The one deprecated OpenSSL call fabnet makes, kept apart so that the rest of
// src/crypto builds with OPENSSL_NO_DEPRECATED. Internal to src/crypto.

#include <openssl/bn.h>
#include <openssl/ec.h>

namespace fabnet::crypto::detail {

// Precomputes the multiples of `group`'s generator (EC_GROUP_precompute_mult:
// deprecated in OpenSSL 3, with no replacement). False if OpenSSL could not.
bool precompute_generator_multiples(EC_GROUP* group, BN_CTX* context);

}  // namespace fabnet::crypto::detail
