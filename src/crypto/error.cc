#include "crypto/error.h"

#include <fmt/format.h>

namespace fabnet::crypto {

CryptoError::CryptoError(std::string where, std::string problem, std::string expected)
    : std::runtime_error(fmt::format("{}: {}{}{}", where, problem,
                                     expected.empty() ? "" : "; expected ", expected)),
      where_(std::move(where)),
      problem_(std::move(problem)),
      expected_(std::move(expected)) {}

}  // namespace fabnet::crypto
