#pragma once

#include <stdexcept>
#include <string>

namespace fabnet::crypto {

// A problem with crypto material read at start-up or written by the generator
// (MSP folders, CA certificates of a channel, output directories). what() is
// "<where>: <problem>; expected <expectation>", where `where` is a file path or
// the name of the input (e.g. "CA certificates of Org1MSP").
class CryptoError : public std::runtime_error {
 public:
  CryptoError(std::string where, std::string problem, std::string expected);

  const std::string& where() const { return where_; }
  const std::string& problem() const { return problem_; }
  const std::string& expected() const { return expected_; }

 private:
  std::string where_;
  std::string problem_;
  std::string expected_;
};

}  // namespace fabnet::crypto
