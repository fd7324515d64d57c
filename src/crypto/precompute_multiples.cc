#include "crypto/precompute_multiples.h"

namespace fabnet::crypto::detail {

bool precompute_generator_multiples(EC_GROUP* group, BN_CTX* context) {
  return EC_GROUP_precompute_mult(group, context) == 1;
}

}  // namespace fabnet::crypto::detail
